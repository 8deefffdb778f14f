"""Helpers of the tests in this folder (imported by name: `from session_server import ...`).

The real local server as a subprocess on 127.0.0.1 (random port) for session tests.

``server`` loads the engines (once per test run, shared); ``rest_server`` runs with
``--no-engines`` for what needs no speech. Agents and sessions are made with the real
``AsyncNurClient``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from nur_server_process import ServerProcess, start_server_process

from nur_notebook.client import AsyncNurClient

SUPPORT_PROMPT = (
    "You are a customer support agent for an online shop. Answer in one or two short"
    " sentences. When the user asks about an order, always call lookup_order with the order"
    " number first, then tell them exactly what it returned."
)


CHAT_PROMPT = "You are a friendly assistant. Answer in two or three short sentences."


@dataclass
class Server(ServerProcess):
    def client(self) -> AsyncNurClient:
        return AsyncNurClient(api_key=self.api_key, base_url=self.base_url)


def _start(data_dir: Path, *extra: str) -> Server:
    started = start_server_process(data_dir, *extra)
    return Server(started.base_url, started.api_key, data_dir, started.process)


def speech_wav(text: str, path: Path) -> Path:
    """``text`` spoken by eSpeak NG into a WAV (22,050 Hz: the resampler's job)."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    return path
