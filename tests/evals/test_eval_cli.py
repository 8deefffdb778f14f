"""``nur-notebook eval`` against the real local server: files, fields, exit codes, errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from nur_server_process import ServerProcess

from nur_notebook.evals.result import ROW_FIELDS, TURN_FIELDS

ROOT = Path(__file__).resolve().parents[2]

AGENT = """\
agent:
  name: Order Desk
  voice_id: rachel_v2
  language: en
  system_prompt: |
    You are a support agent for an online shop. When the customer gives an order number,
    call lookup_order with it, then say the status in one short sentence. Without an order
    number, ask for it in one short sentence.
  tools:
    - name: lookup_order
      description: Look up an order's status by its number.
      parameters: {order_id: {type: string, required: true, description: The order number}}
tools:
  lookup_order: {returns: {status: shipped, carrier: DHL}}
"""

MATRIX_SUITE = (
    AGENT
    + """\
variants:
  v1: {}
  v2:
    system_prompt: >-
      You are a terse shop agent. For an order number call lookup_order, then give the
      status in five words. Without a number, ask for it.
repeat: 2
scenarios:
  - name: typed status
    turns:
      - user: "Where is my order 447?"
        expect:
          tool_call: {name: lookup_order, arguments: {order_id: "/447/"}}
          reply_contains: [shipped]
  - name: missing number
    turns:
      - user: "Where is my order?"
        expect: {no_tool_call: true}
  - name: spoken status
    mode: spoken
    turns:
      - user: "Where is my order four four seven?"
        expect: {tool_call: {name: lookup_order}}
"""
)

BROKEN_SUITE = (
    AGENT
    + """\
scenarios:
  - name: typed status
    turns:
      - user: "Where is my order 447?"
        expect: {reply_contains: [xylophone]}
"""
)


def _eval(server: ServerProcess | None, suite: Path, *args: str, base_url: str | None = None
          ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env["NUR_BASE_URL"] = base_url or (server.base_url if server else "")
    env["NUR_API_KEY"] = server.api_key if server else "key_unused"
    return subprocess.run(
        [sys.executable, "-m", "nur_notebook", "eval", str(suite), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )


def _run_suite(
    server: ServerProcess, path: Path, text: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Write ``text`` to the suite file ``path`` and run it, its output into ``out`` beside
    it: the finished command and that folder."""
    path.write_text(text)
    out = path.parent / "out"
    return _eval(server, path, "--out", str(out), *args), out


def _agent_count(server: ServerProcess) -> int:
    response = httpx.get(
        f"{server.base_url}/v1/agents",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    return len(response.json()["data"])


@pytest.mark.engines
@pytest.mark.timeout(3000)  # 12 attempts on a CPU-only LLM shared by a 2-core machine
def test_three_scenarios_two_variants_two_attempts(
    engines_server: ServerProcess, tmp_path: Path
) -> None:
    before = _agent_count(engines_server)
    suite = tmp_path / "orders.yaml"
    done, out = _run_suite(
        engines_server, suite, MATRIX_SUITE, "--min-pass-rate", "0.5", "--concurrency", "4"
    )
    assert done.returncode in (0, 1), done.stderr
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 12
    assert {(r["scenario"], r["variant"], r["attempt"]) for r in rows} == {
        (s, v, a)
        for s in ("typed status", "missing number", "spoken status")
        for v in ("v1", "v2")
        for a in (1, 2)
    }
    for row in rows:
        assert tuple(row) == ROW_FIELDS
        assert row["suite"] == "orders"
        assert row["passed"] == all(c["passed"] for c in row["checks"])
        for turn in row["turns"]:
            assert tuple(turn) == TURN_FIELDS
    assert len({r["session_id"] for r in rows}) == 12  # every attempt its own session
    spoken = [t for r in rows if r["scenario"] == "spoken status" for t in r["turns"]]
    assert spoken
    assert all(t["user"] == "Where is my order four four seven?" for t in spoken)
    assert any("order" in t["transcribed"].lower() for t in spoken)  # what the STT heard
    summary = json.loads((out / "summary.json").read_text())
    assert summary["attempts"] == 12
    assert len(summary["cells"]) == 6
    for item in summary["cells"]:
        assert item["attempts"] == 2
        assert item["pass_rate"] == round(item["passed"] / 2, 4)
        assert {"latency_p50_ms", "latency_p90_ms", "flaky", "delta"} <= set(item)
    assert summary["passed"] == sum(r["passed"] for r in rows)
    assert done.returncode == (1 if summary["pass_rate"] < 0.5 else 0)
    report = (out / "report.html").read_text()
    assert report.count("data:audio/wav;base64,") >= 8  # four spoken attempts, both sides
    assert "orders: " in done.stdout
    assert "typed status" in done.stdout
    assert "[12/12]" in done.stderr
    assert _agent_count(engines_server) == before  # the run's agents are gone again


@pytest.mark.engines
@pytest.mark.timeout(900)
def test_a_broken_expectation_fails_the_run_naming_the_check(
    engines_server: ServerProcess, tmp_path: Path
) -> None:
    done, out = _run_suite(
        engines_server, tmp_path / "broken.yaml", BROKEN_SUITE, "--min-pass-rate", "1"
    )
    assert done.returncode == 1, done.stderr
    assert 'turn 1 reply_contains "xylophone"' in done.stderr
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert row["passed"] is False
    (failed,) = [c for c in row["checks"] if not c["passed"]]
    assert failed["name"] == 'turn 1 reply_contains "xylophone"'
    assert row["turns"][0]["reply"] in failed["detail"]


def test_a_bad_suite_is_refused_before_anything_runs(tmp_path: Path) -> None:
    suite = tmp_path / "bad.yaml"
    suite.write_text(
        BROKEN_SUITE.replace(
            "expect: {reply_contains", "expect: {tool_call: {name: find}, reply_contains"
        )
    )
    # No server at all: the suite is checked first.
    done = _eval(None, suite, "--out", str(tmp_path / "out"), base_url="http://127.0.0.1:9")
    assert done.returncode == 2
    assert (
        "bad.yaml line 19: scenarios[0].turns[0].expect.tool_call.name: unknown tool 'find'"
        in done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_a_server_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    suite = tmp_path / "ok.yaml"
    suite.write_text(BROKEN_SUITE)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _eval(None, suite, base_url=f"http://127.0.0.1:{port}")
    assert done.returncode == 2
    assert f"cannot reach the Nur server at http://127.0.0.1:{port}" in done.stderr


def test_options_are_checked(tmp_path: Path) -> None:
    suite = tmp_path / "ok.yaml"
    suite.write_text(BROKEN_SUITE)
    done = _eval(None, suite, "--repeat", "0", base_url="http://127.0.0.1:9")
    assert done.returncode == 2
    assert "--repeat must be at least 1" in done.stderr
    done = _eval(None, tmp_path / "none.yaml", base_url="http://127.0.0.1:9")
    assert done.returncode == 2
    assert "no suite file" in done.stderr
