"""Suite-wide hooks."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from nur_server_process import (
    ServerProcess,
    start_server_process,
    stop_server_process,
    wait_engines,
)


@pytest.fixture(scope="session")
def engines_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The one local server with every engine loaded, shared by every folder's tests (the
    engines cost ~2.5 GB and tens of seconds to load: once per run is enough)."""
    started = start_server_process(tmp_path_factory.mktemp("nur-engines"))
    try:
        wait_engines(started)
        yield started
    finally:
        stop_server_process(started.process)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the /dev/null files llama-cpp-python opens at import and never closes, so the
    interpreter's exit prints no ResourceWarning after the test summary."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None and not handle.closed:
            handle.close()
