"""Helpers for the REST tests: the seed's agent, in-process clients, a live server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from nur_server_process import stop_process

BASE_URL = "http://127.0.0.1:8787"

#: The agent of the seed's "Create Agent" curl example.
SEED_AGENT: dict[str, Any] = {
    "name": "Customer Support",
    "voice_id": "rachel_v2",
    "system_prompt": "You are a helpful support agent.",
    "language": "en",
    "tools": [
        {
            "name": "lookup_order",
            "description": "Look up order status",
            "parameters": {"order_id": {"type": "string", "required": True}},
        }
    ],
    "max_turns": 30,
}


def asgi_client(app: FastAPI, key: str | None) -> httpx.AsyncClient:
    """An httpx client that reaches ``app`` in-process, with ``key`` as bearer."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers
    )


async def create_agent(http: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    """Create the seed's agent with ``changes``; its JSON."""
    response = await http.post("/v1/agents/create", json={**SEED_AGENT, **changes})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of an error response, checking the common shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"type", "code", "message", "param"}, body
    assert response.headers["x-request-id"].startswith("req_")
    error: dict[str, Any] = body["error"]
    return error


@dataclass
class LiveServer:
    """A ``nur-notebook serve`` child process."""

    process: subprocess.Popen[str]
    base_url: str
    api_key: str
    data_dir: Path
    first_line: str


@contextmanager
def live_server(data_dir: Path, *extra: str) -> Iterator[LiveServer]:
    """Run ``nur-notebook serve --port 0 --no-engines`` on ``data_dir`` for the block."""
    command = [sys.executable, "-m", "nur_notebook", "serve", "--port", "0", "--no-engines"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        assert first_line.startswith("Nur server listening on http://127.0.0.1:"), first_line
        info = json.loads((data_dir / "server.json").read_text())
        key = (data_dir / "api_key").read_text().strip()
        yield LiveServer(process, info["base_url"], key, data_dir, first_line)
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then wait (SIGKILL after 20 s)."""
    stop_process(process)


def wait_gone(path: Path, *, timeout: float = 10.0) -> bool:
    """Whether ``path`` disappears within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not path.exists():
            return True
        time.sleep(0.05)
    return not path.exists()
