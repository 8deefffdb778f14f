"""Helpers of the tests in this folder (imported by name: `from live_server import ...`).

A real local server (the CLI, on 127.0.0.1, random port) shared by the session tests.

Engines load once per test session. Speech is made by eSpeak NG in the test and
resampled to 16 kHz mono PCM16 by sox.
"""

from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from nur_server_process import (
    LOOKUP_ORDER,
    ServerProcess,
    start_server_process,
    stop_server_process,
)

SUPPORT_PROMPT = (
    "You are a friendly customer support agent for an online shop. Answer in one or two"
    " short sentences. When the user asks about an order, call lookup_order with the"
    " order number, then tell them what it returned."
)


@dataclass
class LocalServer(ServerProcess):
    #: Events of the first connection, made while the engines were still loading.
    probe_events: list[Any] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.api_key

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30)

    def create_agent(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Support",
            "voice_id": "joe",
            "system_prompt": SUPPORT_PROMPT,
            "tools": [LOOKUP_ORDER],
        }
        body.update(overrides)
        with self.http() as http:
            response = http.post("/v1/agents/create", json=body)
        assert response.status_code in (200, 201), response.text
        agent: dict[str, Any] = response.json()
        return agent

    def create_session(self, agent_id: str, **body: Any) -> dict[str, Any]:
        with self.http() as http:
            response = http.post(f"/v1/agents/{agent_id}/sessions", json=body)
        assert response.status_code in (200, 201), response.text
        session: dict[str, Any] = response.json()
        return session

    def get(self, path: str) -> httpx.Response:
        with self.http() as http:
            return http.get(path)

    def set_expires_at(self, session_id: str, expires_at: float) -> None:
        """Move a session's expiry (the store's own column), as a clock would."""
        with sqlite3.connect(self.data_dir / "nur.sqlite3") as db:
            db.execute("UPDATE sessions SET expires_at = ? WHERE id = ?", (expires_at, session_id))

    def rss_bytes(self) -> int:
        import psutil

        return int(psutil.Process(self.process.pid).memory_info().rss)


def start_server(data_dir: Path, *extra: str) -> LocalServer:
    started = start_server_process(data_dir, *extra, module="nur_notebook.cli serve")
    return LocalServer(started.base_url, started.api_key, data_dir, started.process)


def stop_server(server: LocalServer) -> None:
    stop_server_process(server.process)


def wait_engines(server: LocalServer, *, timeout: float = 300) -> None:
    """Block until a session connect would not wait for engines (the status route)."""
    import asyncio

    from session_client import SessionClient

    async def probe() -> None:
        agent = server.create_agent(name="probe", tools=[])
        session = server.create_session(agent["id"])
        client = await SessionClient.connect(session["websocket_url"], server.key)
        await client.wait_for("session.created", within=timeout)
        await client.close()
        server.probe_events = list(client.events)

    asyncio.run(probe())


def speech(text: str, tmp_path: Path, *, voice: str = "en-us", rate: int = 150) -> bytes:
    """``text`` spoken by eSpeak NG as 16 kHz mono PCM16, with 0.3 s of silence around it."""
    raw = tmp_path / f"speech-{abs(hash(text))}.wav"
    out = raw.with_suffix(".16k.raw")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-v", "0.8", str(raw), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
         "-t", "raw", str(out)],
        check=True,
    )  # fmt: skip
    silence = b"\x00\x00" * 4800
    return silence + out.read_bytes() + silence


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(16_000 * seconds)
