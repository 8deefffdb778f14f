"""The report page is self-contained and carries each turn's audio."""

from __future__ import annotations

import base64
import io
import json
import re
import wave
from pathlib import Path

import pytest

from nur_notebook.evals.driver import TurnAudio
from nur_notebook.evals.result import ROW_FIELDS, TURN_FIELDS, EvalResult


def _result() -> EvalResult:
    result = EvalResult("demo", scenarios=["status"], variants=["v1", "v2"])
    turn = {
        "user": "Where is <my> order?",
        "transcribed": "Where is my order?",
        "reply": "It shipped.",
        "tool_calls": [{"name": "lookup_order", "arguments": {"order_id": "7"}, "output": "ok"}],
        "latency_ms": 1500.0,
    }
    for variant, passed in (("v1", True), ("v2", False)):
        checks = [{"name": 'turn 1 reply_contains "shipped"', "passed": passed, "detail": "x"}]
        row = {
            "suite": "demo",
            "scenario": "status",
            "variant": variant,
            "attempt": 1,
            "passed": passed,
            "checks": checks,
            "turns": [dict(turn)],
            "session_id": f"ses_{variant}",
        }
        sound = TurnAudio(
            user_pcm=b"\x01\x00" * 1600, agent_pcm=b"\x02\x00" * 2400, agent_rate=24000
        )
        result.add(row, [sound])
    return result


def test_html_embeds_both_sides_of_each_turn_and_links_nothing() -> None:
    page = _result().to_html()
    urls = re.findall(r'src="data:audio/wav;base64,([^"]+)"', page)
    assert len(urls) == 4  # user and agent, two attempts
    with wave.open(io.BytesIO(base64.b64decode(urls[0]))) as wav:
        assert wav.getframerate() == 16000
        assert wav.getnframes() == 1600
    with wave.open(io.BytesIO(base64.b64decode(urls[1]))) as wav:
        assert wav.getframerate() == 24000
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert "Where is &lt;my&gt; order?" in page  # escaped
    assert 'data-variant="v2"' in page
    assert "(-100%)" in page
    assert "<audio" not in _result().to_html(audio=False)


def test_save_writes_the_three_files_with_the_documented_fields(tmp_path: Path) -> None:
    folder = _result().save(tmp_path / "out")
    rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    assert all(tuple(row) == ROW_FIELDS for row in rows)
    assert all(tuple(row["turns"][0]) == TURN_FIELDS for row in rows)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["pass_rate"] == 0.5
    assert {"passed", "attempts", "pass_rate", "latency_p50_ms", "latency_p90_ms"} <= set(
        summary["cells"][0]
    )
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_assert_passes_names_the_failed_checks() -> None:
    result = _result()
    result.assert_passes(min_rate=0.5)
    with pytest.raises(
        AssertionError, match=r'status / v2 / attempt 1: turn 1 reply_contains "shipped"'
    ):
        result.assert_passes(min_rate=0.9)
    with pytest.raises(AssertionError):
        EvalResult("empty", scenarios=[], variants=[]).assert_passes(min_rate=0.0)
