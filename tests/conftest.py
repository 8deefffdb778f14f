"""Suite-wide hooks."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest
from nur_server_process import ServerProcess
from shared_engines import shared_engines


@pytest.fixture(scope="session")
def engines_process(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[ServerProcess]:
    """The one local server with every engine loaded, shared by every folder's tests and
    every pytest-xdist worker (the engines cost ~2.5 GB and tens of seconds to load: once
    per run is enough). Each worker has an account of its own on it."""
    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent
    with shared_engines(root, account=f"tests-{worker_id}") as server:
        yield server


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``--dist loadgroup`` a file's tests stay in one worker (its module fixtures are
    set up once), and so do the folders whose kernels share one server account (browser,
    notebook): their agents and conversations must not meet another worker's."""
    for item in items:
        folder, path = _folder(item.nodeid), item.nodeid.split("::", 1)[0]
        group = folder if folder in ("tests/browser", "tests/notebook") else path
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the /dev/null files llama-cpp-python opens at import and never closes, so the
    interpreter's exit prints no ResourceWarning after the test summary."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None and not handle.closed:
            handle.close()


_folder_seconds: defaultdict[str, float] = defaultdict(float)
_folder_tests: defaultdict[str, int] = defaultdict(int)
_file_seconds: defaultdict[str, float] = defaultdict(float)
_session_started = time.monotonic()


def _folder(nodeid: str) -> str:
    parts = nodeid.split("::", 1)[0].split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum each test's setup, call and teardown time by folder (session fixtures count where
    they are first set up)."""
    folder = _folder(report.nodeid)
    _folder_seconds[folder] += report.duration
    _file_seconds[report.nodeid.split("::", 1)[0]] += report.duration
    if report.when == "call":
        _folder_tests[folder] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where the suite's time goes: one line per folder, slowest first."""
    if not _folder_seconds:
        return
    total = time.monotonic() - _session_started
    terminalreporter.section("time by folder")
    for folder, seconds in sorted(_folder_seconds.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(
            f"{seconds:8.1f} s  {seconds / total:5.1%}  {_folder_tests[folder]:4d} tests  {folder}"
        )
    terminalreporter.write_line(f"{total:8.1f} s  in all (collection and start included)")
    terminalreporter.section("slowest files")
    for path, seconds in sorted(_file_seconds.items(), key=lambda kv: -kv[1])[:15]:
        terminalreporter.write_line(f"{seconds:8.1f} s  {path}")
