"""Eval run cost: wall time per attempt of a typed and a spoken scenario, and how a run
grows with variants and repeats.

Uses the local server at ``NUR_BASE_URL`` / ``NUR_API_KEY`` if set, else starts one
(``python -m nur_notebook.server`` on 127.0.0.1, a free port, a temporary data directory)
and stops it at the end. Runs, with ``nur_notebook.evals.run`` and one attempt at a time:

- ``typed``: one typed turn, 1 variant x ``--repeat`` attempts;
- ``spoken``: the same words spoken (server TTS -> microphone frames -> VAD -> STT);
- ``typed x2 variants`` and ``typed x2 repeats``: the same scenario with twice the
  variants, and twice the attempts, to show the run grows linearly in attempts.

Prints seconds per attempt (wall clock of the whole run / attempts) and the turn's median
voice-to-voice latency; ratios against ``typed`` are what to compare across machines.

    python3 bench/evals.py --repeat 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nur_notebook.client import NurClient
from nur_notebook.evals import run

PROMPT = "You are a support agent for a shop. Answer in one short sentence of at most ten words."
LINE = "Hello, what are your opening hours?"


def suite(*, mode: str, variants: int) -> dict[str, Any]:
    names = {
        f"v{i + 1}": {"system_prompt": PROMPT + f" You are assistant {i + 1}."}
        for i in range(variants)
    }
    return {
        "name": f"bench {mode}",
        "agent": {"name": "Bench Desk", "voice_id": "rachel_v2", "system_prompt": PROMPT},
        "variants": names,
        "scenarios": [{"name": mode, "mode": mode, "turns": [{"user": LINE}]}],
    }


@contextlib.contextmanager
def server() -> Iterator[NurClient]:
    if os.environ.get("NUR_BASE_URL") and os.environ.get("NUR_API_KEY"):
        with NurClient() as client:
            yield client
        return
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "nur_notebook.server", "--port", "0", "--data-dir", data]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            info_path = Path(data) / "server.json"
            deadline = time.monotonic() + 300
            while True:
                with contextlib.suppress(OSError, ValueError):
                    info = json.loads(info_path.read_text())
                    if info.get("pid") == process.pid:
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            key = (Path(data) / "api_key").read_text().strip()
            with NurClient(api_key=key, base_url=info["base_url"]) as client:
                _wait_engines(client)
                yield client
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def _wait_engines(client: NurClient) -> None:
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = httpx.get(f"{client.base_url}/health", timeout=5).json()
        if (status.get("engines") or {}).get("state") != "loading":
            return
        time.sleep(1)


def measure(client: NurClient, label: str, spec: dict[str, Any], repeat: int) -> dict[str, Any]:
    started = time.monotonic()
    result = run(spec, repeat=repeat, client=client)
    seconds = time.monotonic() - started
    latencies = [t["latency_ms"] for r in result.rows for t in r["turns"] if t["latency_ms"]]
    return {
        "run": label,
        "attempts": len(result.rows),
        "seconds": round(seconds, 1),
        "s_per_attempt": round(seconds / max(1, len(result.rows)), 1),
        "v2v_p50_ms": round(statistics.median(latencies)) if latencies else None,
        "passed": result.summary["passed"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="attempts of the base runs")
    args = parser.parse_args()
    with server() as client:
        rows = [
            measure(client, "typed", suite(mode="text", variants=1), args.repeat),
            measure(client, "spoken", suite(mode="spoken", variants=1), args.repeat),
            measure(client, "typed x2 variants", suite(mode="text", variants=2), args.repeat),
            measure(client, "typed x2 repeats", suite(mode="text", variants=1), 2 * args.repeat),
        ]
    base = rows[0]
    print(
        f"{'run':<20} {'attempts':>8} {'seconds':>8} {'s/attempt':>10} {'ratio':>6} {'v2v p50':>8}"
    )
    for row in rows:
        ratio = row["seconds"] / base["seconds"] if base["seconds"] else 0.0
        print(
            f"{row['run']:<20} {row['attempts']:>8} {row['seconds']:>8} "
            f"{row['s_per_attempt']:>10} {ratio:>6.2f} {row['v2v_p50_ms'] or '-':>8}"
        )
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
