"""Helpers of the tests in this folder (imported by name: `from notebook_server import ...`).

Fixtures for the notebook kit: the real local Nur server on loopback, an IPython shell.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from nur_notebook.notebook.local_server import ServerInfo

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RunningServer:
    """A ``python -m nur_notebook.server`` process with its own data dir."""

    def __init__(self, data_dir: Path, *, engines: bool) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.log = (data_dir / "test-server.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nur_notebook.server",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
                *(() if engines else ("--no-engines",)),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            info = ServerInfo.read(data_dir / "server.json")
            if info is not None and info.pid == self.process.pid:
                break
            if self.process.poll() is not None:
                raise RuntimeError((data_dir / "test-server.log").read_text())
            time.sleep(0.1)
        else:
            raise RuntimeError("the test server did not start in 60 s")
        self.api_key = (data_dir / "api_key").read_text().strip()

    def agents(self) -> list[dict[str, Any]]:
        """Every agent of the test key, straight from REST."""
        response = httpx.get(
            f"{self.base_url}/v1/agents",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
