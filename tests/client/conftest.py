"""Fixtures: the real local server (in-process and as a process) and a hosted-API stand-in."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from client_support import Hosted, HostedStandIn, Live
from fastapi import FastAPI

from nur_notebook.client import AsyncNurClient
from nur_notebook.server.app import create_app
from nur_notebook.server.config import ServerConfig


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(ServerConfig(data_dir=tmp_path / "data", engines=False))
    yield application
    application.state.store.close()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncNurClient]:
    """``AsyncNurClient`` talking to the real app in-process."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    key = app.state.bootstrap_key.secret
    async with AsyncNurClient(key, "http://127.0.0.1:8787", http_client=http) as nur:
        yield nur
    await http.aclose()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``nur-notebook serve`` on a free loopback port, shared by a module's tests."""
    data_dir = tmp_path_factory.mktemp("live")
    command = [sys.executable, "-m", "nur_notebook", "serve", "--port", "0", "--no-engines"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Nur server listening on ")
        info = json.loads((data_dir / "server.json").read_text())
        yield Live(info["base_url"], (data_dir / "api_key").read_text().strip())
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def hosted() -> Iterator[Hosted]:
    """The stand-in served by uvicorn on a free loopback port, in a thread."""
    stand_in = HostedStandIn()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(stand_in, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield Hosted(stand_in, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
