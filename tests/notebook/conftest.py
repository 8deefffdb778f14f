"""Fixtures for the notebook kit: the real local Nur server on loopback, an IPython shell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from notebook_server import RunningServer
from nur_server_process import ServerProcess

from nur_notebook.notebook.local_server import DATA_DIR_ENV


@pytest.fixture(scope="session")
def nur_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real local server (REST and sessions, no speech engines) on 127.0.0.1, a free
    port and a temporary data dir."""
    server = RunningServer(tmp_path_factory.mktemp("nur-server"), engines=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def engines_server(engines_process: ServerProcess) -> RunningServer:
    """The real local server with its offline speech and language engines (the suite's
    shared one), as the account a kernel finds in its data dir (``api_key``): this
    folder's kernels reuse that server, and this folder runs in one worker."""
    server = RunningServer.of(engines_process)
    server.api_key = (engines_process.data_dir / "api_key").read_text().strip()
    return server


def _without_account(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    monkeypatch.delenv("NUR_API_KEY", raising=False)
    monkeypatch.delenv("NUR_BASE_URL", raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(server.data_dir))
    return server


@pytest.fixture
def local_env(nur_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """The environment a user has without an account: no NUR_API_KEY, and the local
    server's data dir pointing at the test server (so %load_ext finds and reuses it)."""
    return _without_account(nur_server, monkeypatch)


@pytest.fixture
def engines_env(engines_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """``local_env`` with the server that has the speech and language engines."""
    return _without_account(engines_server, monkeypatch)
