"""One engines server for a whole test run, however many pytest-xdist workers it has.

The engines cost about 2.5 GB and tens of seconds to load, so every worker uses the same
``python -m nur_notebook.server``: the first worker to ask starts it (under a file lock
in the run's shared temporary directory), each worker then gets an account of its own (a
new API key: its agents and sessions are its own, as in a run with one process), and the
last worker out stops it. Imported by name from the suite's conftest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from filelock import FileLock
from nur_server_process import (
    PROBE_FILE,
    ServerProcess,
    start_server_process,
    stop_server_process,
    wait_engines,
)

from nur_notebook.protocol.events import decode_server_event

#: The servers this worker started and left to another worker to stop.
_LEFT_RUNNING: list[subprocess.Popen[bytes]] = []


@dataclass
class AttachedProcess:
    """The server another worker started: what the tests ask of a process (its pid, and
    whether it still runs)."""

    pid: int

    def poll(self) -> int | None:
        return None if _alive(self.pid) else 0


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: its parent may be gone, and nobody reaps it)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _running(data_dir: Path) -> tuple[str, int] | None:
    """The base URL and pid of a server that wrote ``server.json`` there and still runs."""
    try:
        info = json.loads((data_dir / "server.json").read_text())
    except (OSError, ValueError):
        return None
    pid = int(info.get("pid") or 0)
    return (str(info["base_url"]), pid) if pid > 0 and _alive(pid) else None


def engines_pid(root: Path) -> int | None:
    """The pid of the run's engines server under ``root``, while it runs."""
    running = _running(root / "nur-engines")
    return running[1] if running else None


def _new_account(data_dir: Path, label: str) -> str:
    """A new API key of the server in ``data_dir`` (``nur-notebook keys create``)."""
    made = subprocess.run(
        [sys.executable, "-m", "nur_notebook", "keys", "create", "--label", label,
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return made.stdout.split("\t")[1].strip()


def _stop_pid(pid: int, *, timeout: float = 20) -> None:
    """Ctrl-C the server, then kill it if it takes over ``timeout`` seconds."""
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def shared_engines(root: Path, *, account: str) -> Iterator[ServerProcess]:
    """The run's engines server (started here when no worker has started it yet), with
    an account of ``account``'s own."""
    data_dir = root / "nur-engines"
    users = root / "nur-engines.users"
    with FileLock(str(root / "nur-engines.lock")):
        running = _running(data_dir)
        if running is None:
            started = start_server_process(data_dir)
            wait_engines(started)
            base_url, process = started.base_url, started.process
        else:
            base_url, process = running[0], AttachedProcess(running[1])  # type: ignore[assignment]
        users.write_text(str(int(users.read_text() or 0) + 1 if users.exists() else 1))
        key = _new_account(data_dir, account)
    probe = (data_dir / PROBE_FILE).read_text().splitlines()
    server = ServerProcess(base_url, key, data_dir, process)
    server.probe_events = [decode_server_event(line) for line in probe]
    try:
        yield server
    finally:
        with FileLock(str(root / "nur-engines.lock")):
            left = int(users.read_text()) - 1
            users.write_text(str(left))
            if left == 0:
                if isinstance(process, subprocess.Popen):
                    stop_server_process(process)
                else:
                    _stop_pid(process.pid)
            elif isinstance(process, subprocess.Popen):
                # Another worker still uses it and will stop it. Keep the handle as long as
                # this worker lives: a Popen collected while its child runs warns (an error
                # in whatever test is tearing down then).
                _LEFT_RUNNING.append(process)
