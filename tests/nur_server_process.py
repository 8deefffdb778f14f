"""The real local Nur server as a subprocess on 127.0.0.1, for any test folder.

Imported by name (``from nur_server_process import start_server_process``): this folder is on
``sys.path`` through its conftest. The folders' own helpers add what their tests need
(clients, fixtures) on top of this one way of starting and stopping it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

#: The tool the session tests' support agents are given.
LOOKUP_ORDER = {
    "name": "lookup_order",
    "description": "Look up the shipping status of an order by its order number",
    "parameters": {"order_id": {"type": "string", "required": True}},
}


@dataclass
class ServerProcess:
    base_url: str
    api_key: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    #: Events of a first session connection made right after start-up (``wait_engines``).
    probe_events: list[Any] = field(default_factory=list)


S = TypeVar("S", bound=ServerProcess)

#: Where ``wait_engines`` keeps the probe session's events (one JSON message a line).
PROBE_FILE = "probe_events.jsonl"


def _written_by(info_path: Path, pid: int) -> dict[str, object] | None:
    """``server.json`` once the process ``pid`` has written it whole (not a stale one)."""
    try:
        info: dict[str, object] = json.loads(info_path.read_text())
    except (OSError, ValueError):
        return None
    return info if info.get("pid") == pid else None


def start_server_process(
    data_dir: Path, *args: str, module: str = "nur_notebook.server", timeout: float = 60
) -> ServerProcess:
    """``python -m <module> --port 0 --data-dir <data_dir> <args>`` (a later ``--port`` in
    ``args`` wins), once it has written ``server.json``; its output goes to ``server.log``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *module.split(), "--port", "0", "--data-dir", str(data_dir),
             *args],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + timeout
    while (info := _written_by(data_dir / "server.json", process.pid)) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((data_dir / "server.log").read_text())
        time.sleep(0.1)
    key = (data_dir / "api_key").read_text().strip()
    return ServerProcess(str(info["base_url"]), key, data_dir, process)


def stop_process(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait (SIGKILL after 20 s); closes its stdout pipe if it has one."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def stop_server_process(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C (a clean shutdown), then kill if it takes over 20 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextmanager
def serving(server: S) -> Iterator[S]:
    """``server`` until the block ends, then stopped (``with serving(start(...)) as s:``)."""
    try:
        yield server
    finally:
        stop_server_process(server.process)


def wait_engines(server: ServerProcess, *, timeout: float = 300) -> None:
    """Open a session at once and read until ``session.created`` (the engines are loaded);
    the events seen are kept in ``probe_events`` (``session.loading`` first, when cold)."""
    import asyncio

    import httpx
    from websockets.asyncio.client import connect

    from nur_notebook.protocol.events import decode_server_event

    headers = {"Authorization": f"Bearer {server.api_key}"}
    agent = httpx.post(
        f"{server.base_url}/v1/agents/create",
        headers=headers,
        json={"name": "probe", "voice_id": "joe", "system_prompt": "Say hi."},
    ).raise_for_status()
    session = httpx.post(
        f"{server.base_url}/v1/agents/{agent.json()['id']}/sessions", headers=headers, json={}
    ).raise_for_status()

    async def probe() -> None:
        url = session.json()["websocket_url"]
        async with asyncio.timeout(timeout), connect(url, additional_headers=headers) as ws:
            async for message in ws:
                event = decode_server_event(message)
                server.probe_events.append(event)
                raw.append(message if isinstance(message, str) else message.decode())
                if event.type == "session.created":
                    return

    raw: list[str] = []
    asyncio.run(probe())
    (server.data_dir / PROBE_FILE).write_text("\n".join(raw))
