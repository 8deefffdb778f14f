"""A real local server (the CLI, on 127.0.0.1, random port) shared by the session tests.

Engines load once per test session. Speech is made by eSpeak NG in the test and
resampled to 16 kHz mono PCM16 by sox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LocalServer, start_server, wait_engines
from nur_server_process import serving

from nur_notebook.server.realtime.transcripts import TranscriptStore
from nur_notebook.server.store import Store


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with serving(start_server(tmp_path_factory.mktemp("nur-server"))) as running:
        wait_engines(running)
        yield running


@pytest.fixture
def transcripts(tmp_path: Path) -> Iterator[TranscriptStore]:
    """The session tables on a fresh SQLite file."""
    base = Store(tmp_path / "nur.sqlite3")
    store = TranscriptStore(base)
    yield store
    store.close()
    base.close()
