"""A server run with ``--exit-when-unused`` stops once no registered kernel lives (real
server processes, real kernel processes: a child ``sleep`` and this test process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from rest_support import live_server, wait_gone

from nur_notebook.cli import main
from nur_notebook.protocol.data_dir import DataFiles
from nur_notebook.server.kernels import UnusedClock, live_kernels

GRACE = 1.5
#: How long a server may take to notice and shut down once its grace has passed.
EXIT_TIMEOUT = GRACE + 20.0
STOPPED_LINE = f"no kernel has used it for {GRACE:g} s"


def register(data_dir: Path, pid: int, *, token: str = "t1", created: float | None = None) -> Path:
    """The file a kernel ``pid`` writes while it uses the server (``created``: the start
    time it says, by default the process's own)."""
    path = DataFiles.under(data_dir).kernel_file(pid=pid, token=token)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = psutil.Process(pid).create_time() if created is None else created
    path.write_text(json.dumps({"pid": pid, "created": started}), encoding="utf-8")
    return path


@pytest.fixture
def kernel() -> Iterator[subprocess.Popen[bytes]]:
    """A process standing in for a kernel (killed as with SIGKILL by the tests)."""
    process = subprocess.Popen(["sleep", "600"])
    yield process
    process.kill()
    process.wait()


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def still_running_after(process: subprocess.Popen[str], seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


def test_the_clock_counts_from_the_last_live_kernel() -> None:
    clock = UnusedClock(grace=10.0, now=100.0)
    assert not clock.unused_for_long(0, now=109.9)  # the grace runs from the start
    assert clock.unused_for_long(0, now=110.0)
    assert not clock.unused_for_long(2, now=111.0)  # a kernel came: the wait starts again
    assert not clock.unused_for_long(0, now=120.5)
    assert clock.unused_for_long(0, now=121.0)
    assert clock.period == 2.0
    assert UnusedClock(grace=1.0, now=0.0).period == 0.25
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="must be > 0 seconds"):
            UnusedClock(grace=bad, now=0.0)


def test_live_kernels_counts_live_registered_processes_and_prunes_the_rest(
    tmp_path: Path, kernel: subprocess.Popen[bytes]
) -> None:
    directory = DataFiles.under(tmp_path).kernels
    assert live_kernels(directory) == 0  # nothing registered yet: no folder
    mine = register(tmp_path, os.getpid())
    child = register(tmp_path, kernel.pid)
    register(tmp_path, dead_pid(), token="dead", created=0.0)
    register(tmp_path, os.getpid(), token="old", created=12345.0)  # a recycled pid
    stray = directory / "notes.txt"
    stray.write_text("not a kernel")
    unreadable = directory / f"{os.getpid()}-partial.json"
    unreadable.write_text("{")
    assert live_kernels(directory, prune=False) == 3  # mine, child, the unreadable one
    assert len(list(directory.iterdir())) == 6  # counting alone removes nothing
    assert live_kernels(directory) == 3
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        p.name for p in (mine, child, stray, unreadable)
    )
    kernel.kill()
    kernel.wait()
    assert live_kernels(directory) == 2
    assert not child.exists()


def test_a_server_stays_while_a_kernel_lives_and_stops_after_the_last_is_gone(
    tmp_path: Path, kernel: subprocess.Popen[bytes]
) -> None:
    register(tmp_path, kernel.pid)
    with live_server(tmp_path, "--exit-when-unused", str(GRACE)) as server:
        assert still_running_after(server.process, GRACE * 2.5)
        health = httpx.get(f"{server.base_url}/health", timeout=10).json()
        assert health["kernels"] == 1
        kernel.kill()  # as SIGKILL: the kernel never unregisters
        assert server.process.wait(timeout=EXIT_TIMEOUT) == 0
        assert server.process.stdout is not None
        assert STOPPED_LINE in server.process.stdout.read()
        assert wait_gone(tmp_path / "server.json")  # the clean path of SIGTERM
        assert not list(DataFiles.under(tmp_path).kernels.iterdir())  # the dead one pruned


def test_a_kernel_that_unregisters_lets_the_server_go(tmp_path: Path) -> None:
    mine = register(tmp_path, os.getpid())
    with live_server(tmp_path, "--exit-when-unused", str(GRACE)) as server:
        assert still_running_after(server.process, GRACE * 2)
        mine.unlink()
        assert server.process.wait(timeout=EXIT_TIMEOUT) == 0
        assert not (tmp_path / "server.json").exists()


def test_a_dead_kernel_file_counts_as_gone(tmp_path: Path) -> None:
    register(tmp_path, dead_pid(), created=0.0)
    with live_server(tmp_path, "--exit-when-unused", str(GRACE)) as server:
        assert server.process.wait(timeout=EXIT_TIMEOUT) == 0
        assert server.process.stdout is not None
        assert STOPPED_LINE in server.process.stdout.read()


def test_without_the_option_a_server_never_stops_on_its_own(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        assert still_running_after(server.process, GRACE * 3)
        health = httpx.get(f"{server.base_url}/health", timeout=10).json()
        assert health["kernels"] == 0


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf"])
def test_a_bad_grace_is_a_clear_error(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["serve", "--no-engines", "--port", "0", "--data-dir", str(tmp_path)]
    assert main([*command, f"--exit-when-unused={value}"]) == 2
    assert "--exit-when-unused must be > 0 seconds" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing started, nothing written
