"""Fixtures of the eval tests: the real local server with its engines, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nur_server_process import ServerProcess, start_server_process, stop_server_process


@pytest.fixture(scope="session")
def engines_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``python -m nur_notebook.server`` with every engine, in a temporary data dir."""
    server = start_server_process(tmp_path_factory.mktemp("nur-evals"))
    try:
        yield server
    finally:
        stop_server_process(server.process)
