"""The real local server as a subprocess on 127.0.0.1 (random port) for session tests.

``server`` loads the engines (once per test run, shared); ``rest_server`` runs with
``--no-engines`` for what needs no speech. Agents and sessions are made with the real
``AsyncNurClient``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from nur_server_process import ServerProcess, serving
from session_server import Server, _start

from nur_notebook.client import AsyncNurClient


@pytest.fixture(scope="session")
def server(engines_process: ServerProcess) -> Server:
    """The local server with every engine loaded (the suite's shared one)."""
    started = engines_process
    return Server(started.base_url, started.api_key, started.data_dir, started.process)


@pytest.fixture(scope="session")
def rest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The local server without engines: sessions can be made but not talked to."""
    with serving(_start(tmp_path_factory.mktemp("nur-rest"), "--no-engines")) as running:
        yield running


@pytest.fixture
async def client(server: Server) -> AsyncIterator[AsyncNurClient]:
    async with server.client() as made:
        yield made
