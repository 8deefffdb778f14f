"""Helpers of the tests in this folder (imported by name: `from session_server import ...`).

The real local server as a subprocess on 127.0.0.1 (random port) for session tests.

``server`` loads the engines (once per test run, shared); ``rest_server`` runs with
``--no-engines`` for what needs no speech. Agents and sessions are made with the real
``AsyncNurClient``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nur_notebook.client import AsyncNurClient

LOOKUP_ORDER = {
    "name": "lookup_order",
    "description": "Look up the shipping status of an order by its order number",
    "parameters": {"order_id": {"type": "string", "required": True}},
}


SUPPORT_PROMPT = (
    "You are a customer support agent for an online shop. Answer in one or two short"
    " sentences. When the user asks about an order, always call lookup_order with the order"
    " number first, then tell them exactly what it returned."
)


CHAT_PROMPT = "You are a friendly assistant. Answer in two or three short sentences."


@dataclass
class Server:
    base_url: str
    api_key: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def client(self) -> AsyncNurClient:
        return AsyncNurClient(api_key=self.api_key, base_url=self.base_url)


def _start(data_dir: Path, *extra: str) -> Server:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nur_notebook.server", "--port", "0",
             "--data-dir", str(data_dir), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    info_path = data_dir / "server.json"
    deadline = time.monotonic() + 60
    while not info_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((data_dir / "server.log").read_text())
        time.sleep(0.1)
    info = json.loads(info_path.read_text())
    return Server(info["base_url"], (data_dir / "api_key").read_text().strip(), data_dir, process)


def _stop(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


def speech_wav(text: str, path: Path) -> Path:
    """``text`` spoken by eSpeak NG into a WAV (22,050 Hz: the resampler's job)."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    return path
