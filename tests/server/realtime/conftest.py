"""A real local server (the CLI, on 127.0.0.1, random port) shared by the session tests.

Engines load once per test session. Speech is made by eSpeak NG in the test and
resampled to 16 kHz mono PCM16 by sox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LocalServer
from nur_server_process import ServerProcess

from nur_notebook.server.realtime.transcripts import TranscriptStore
from nur_notebook.server.store import Store


@pytest.fixture(scope="session")
def server(engines_process: ServerProcess) -> LocalServer:
    """The suite's shared server with its engines; ``probe_events`` are of its first
    session, opened right after start-up."""
    started = engines_process
    return LocalServer(
        started.base_url,
        started.api_key,
        started.data_dir,
        started.process,
        probe_events=started.probe_events,
    )


@pytest.fixture
def transcripts(tmp_path: Path) -> Iterator[TranscriptStore]:
    """The session tables on a fresh SQLite file."""
    base = Store(tmp_path / "nur.sqlite3")
    store = TranscriptStore(base)
    yield store
    store.close()
    base.close()
