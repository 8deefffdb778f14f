"""Helpers of the tests in this folder (imported by name: `from notebook_server import ...`).

Fixtures for the notebook kit: the real local Nur server on loopback, an IPython shell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from nur_server_process import ServerProcess, start_server_process, stop_server_process


class RunningServer:
    """A ``python -m nur_notebook.server`` process with its own data dir."""

    def __init__(self, data_dir: Path, *, engines: bool) -> None:
        self._take(start_server_process(data_dir, *(() if engines else ("--no-engines",))))

    @classmethod
    def of(cls, started: ServerProcess) -> RunningServer:
        """A view of a server started elsewhere (its owner stops it)."""
        server = cls.__new__(cls)
        server._take(started)
        return server

    def _take(self, started: ServerProcess) -> None:
        self.data_dir = started.data_dir
        self.process = started.process
        self.base_url = started.base_url
        self.api_key = started.api_key

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
        stop_server_process(self.process)
