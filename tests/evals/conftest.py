"""Fixtures of the eval tests: the real local server with its engines, on 127.0.0.1."""

from __future__ import annotations

import pytest
from nur_server_process import ServerProcess


@pytest.fixture(scope="session")
def engines_server(engines_process: ServerProcess) -> ServerProcess:
    """The suite's shared server with every engine (an account of this worker's own)."""
    return engines_process
