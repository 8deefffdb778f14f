"""Suite-wide hooks."""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from nur_server_process import ServerProcess
from shared_engines import engines_pid, shared_engines


@pytest.fixture(scope="session")
def engines_process(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[ServerProcess]:
    """The one local server with every engine loaded, shared by every folder's tests and
    every pytest-xdist worker (the engines cost ~2.5 GB and tens of seconds to load: once
    per run is enough). Each worker has an account of its own on it."""
    root = _run_root(tmp_path_factory.getbasetemp(), worker=worker_id != "master")
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
_file_cpu: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
_cpu_marks: dict[str, tuple[float, float]] = {}
_folder_tests: defaultdict[str, int] = defaultdict(int)
_file_seconds: defaultdict[str, float] = defaultdict(float)
_session_started = time.monotonic()


def _folder(nodeid: str) -> str:
    parts = nodeid.split("::", 1)[0].split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def _run_root(base: Path, *, worker: bool) -> Path:
    """The temporary directory every pytest-xdist worker of the run shares (a worker's
    basetemp is a folder of it)."""
    return base.parent if worker else base


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


class _EnginesCpu:
    """The shared engines server's CPU seconds so far, read by pid from its ``server.json``
    (0 before it runs; its last reading once it has stopped)."""

    def __init__(self) -> None:
        self.process: psutil.Process | None = None
        self.seconds = 0.0
        self.ours = False  # started by this worker: once reaped, its seconds are our children's
        self.gone = False

    def read(self, config: pytest.Config) -> float:
        if self.process is None:
            base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
            pid = engines_pid(_run_root(base, worker=hasattr(config, "workerinput")))
            try:
                self.process = psutil.Process(pid) if pid is not None else None
                self.ours = self.process is not None and self.process.ppid() == os.getpid()
            except psutil.Error:
                self.process = None
            if self.process is None:
                return 0.0
        if not self.gone:
            try:
                self.seconds = _cpu_seconds(self.process)
            except psutil.Error:
                self.gone = True  # stopped by the last worker out
        return self.seconds

    def worker(self) -> float:
        """This worker's CPU seconds with its reaped children's, the engines server left out."""
        spent = _cpu_seconds(psutil.Process())
        return spent - self.seconds if self.ours and self.gone else spent


_engines = _EnginesCpu()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _cpu_marks[item.nodeid] = (_engines.worker(), _engines.read(item.config))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """After a test's teardown, the CPU seconds its worker (with the processes it reaped) and
    the engines server spent while it ran, for the summary's CPU table. With two workers the
    server's seconds of tests running at the same time are counted in both; a process that
    lives for the whole run (a Jupyter server and its kernels) counts where it is reaped."""
    report = yield
    if call.when == "teardown" and item.nodeid in _cpu_marks:
        worker, engines = _cpu_marks.pop(item.nodeid)
        engines_now = _engines.read(item.config)
        spent = (_engines.worker() - worker, engines_now - engines)
        report.user_properties.append(("cpu", spent))  # type: ignore[attr-defined]
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum each test's setup, call and teardown time by folder (session fixtures count where
    they are first set up)."""
    folder = _folder(report.nodeid)
    _folder_seconds[folder] += report.duration
    path = report.nodeid.split("::", 1)[0]
    _file_seconds[path] += report.duration
    for _name, (worker, engines) in (p for p in report.user_properties if p[0] == "cpu"):
        cpu = _file_cpu[path]
        cpu[0], cpu[1] = cpu[0] + worker, cpu[1] + engines
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
    terminalreporter.section("CPU seconds: each worker's own (with reaped children), the server's")
    folders: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path, (worker, engines) in _file_cpu.items():
        folder = folders[_folder(path)]
        folder[0], folder[1] = folder[0] + worker, folder[1] + engines
    rows = sorted(_file_cpu.items(), key=lambda kv: -sum(kv[1]))[:20]
    for name, (worker, engines) in [*sorted(folders.items(), key=lambda kv: -sum(kv[1])), *rows]:
        terminalreporter.write_line(f"{worker:8.1f} s {engines:8.1f} s  {name}")
    worker_all = sum(w for w, _ in _file_cpu.values())
    engines_all = sum(e for _, e in _file_cpu.values())
    terminalreporter.write_line(
        f"{worker_all:8.1f} s {engines_all:8.1f} s  in all (the server's seconds of tests "
        "running at once count in each)"
    )
