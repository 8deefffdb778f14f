"""A real local server (the CLI, on 127.0.0.1, random port) shared by the session tests.

Engines load once per test session. Speech is made by eSpeak NG in the test and
resampled to 16 kHz mono PCM16 by sox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import (
    LocalServer,
    start_server,
    stop_server,
    wait_engines,
)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = start_server(tmp_path_factory.mktemp("nur-server"))
    try:
        wait_engines(running)
        yield running
    finally:
        stop_server(running)
