"""The kernels that use this server, and stopping once none has for a while.

A kernel using the local server registers while it lives: one file in
``<data_dir>/kernels/`` (named and filled as ``nur_notebook.protocol.data_dir`` says). A
server run with ``--exit-when-unused SECONDS`` (as the notebook starts it) checks those
files every few seconds and asks itself to exit, as on SIGTERM, once no registered
process has been alive for ``SECONDS``; the wait starts when the server starts, so the
kernel that started it has time to register. A kernel killed without unregistering
counts as gone: its process no longer exists (or its pid now runs another program).

    watch = UnusedClock(grace=300.0, now=time.monotonic())
    watch.unused_for_long(live_kernels(files.kernels), now=time.monotonic())  # False
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from nur_notebook.protocol.data_dir import kernel_pid

#: Longest pause between two checks (seconds); a short grace checks more often.
MAX_CHECK_PERIOD = 2.0
#: How far a registered start time may be from the process's own (seconds; clock rounding).
START_TIME_TOLERANCE = 1.0


class UnusedClock:
    """When the server was last seen in use, and whether that is over ``grace`` ago. Pure:
    the caller passes the count of live kernels and the time."""

    def __init__(self, *, grace: float, now: float) -> None:
        if not grace > 0:
            raise ValueError(f"the grace period must be > 0 seconds, got {grace}")
        self.grace = grace
        #: When a live kernel was last seen (or when the server started).
        self.last_used = now

    def unused_for_long(self, live: int, *, now: float) -> bool:
        """Record a check that found ``live`` kernels; True once none has been seen for
        ``grace`` seconds."""
        if live > 0:
            self.last_used = now
            return False
        return now - self.last_used >= self.grace

    @property
    def period(self) -> float:
        """How often to check: a few seconds, or a quarter of a short grace."""
        return min(MAX_CHECK_PERIOD, self.grace / 4)


def live_kernels(directory: Path, *, prune: bool = True) -> int:
    """How many kernel files in ``directory`` name a process that is alive; with
    ``prune``, the files of processes that are gone are removed."""
    try:
        entries = list(directory.iterdir())
    except OSError:  # no kernel has registered yet
        return 0
    count = 0
    for path in entries:
        pid = kernel_pid(path.name)
        if pid is None:
            continue
        if _registered_process_alive(path, pid):
            count += 1
        elif prune:
            with contextlib.suppress(OSError):
                path.unlink()
    return count


def _registered_process_alive(path: Path, pid: int) -> bool:
    """Whether ``pid`` runs and is the process that wrote ``path`` (its start time
    matches, when the file says it)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = float(process.create_time())
    except psutil.Error:
        return False
    try:
        registered = json.loads(path.read_text(encoding="utf-8")).get("created")
    except (OSError, ValueError, AttributeError):
        return True  # unreadable, but its process lives: count it rather than stop under it
    if not isinstance(registered, int | float) or isinstance(registered, bool):
        return True
    return abs(float(registered) - started) <= START_TIME_TOLERANCE


async def exit_when_unused(
    directory: Path,
    *,
    grace: float,
    request_exit: Callable[[], None],
    log: Callable[[str], None],
) -> None:
    """Check the kernels in ``directory`` every few seconds; once none has been alive for
    ``grace`` seconds, ``log`` one line and ``request_exit()``, then return."""
    clock = UnusedClock(grace=grace, now=time.monotonic())
    while True:
        await asyncio.sleep(clock.period)
        live = live_kernels(directory)  # a few small files: cheap enough for the loop
        if clock.unused_for_long(live, now=time.monotonic()):
            log(
                f"Nur server: no kernel has used it for {grace:g} s "
                "(--exit-when-unused); shutting down"
            )
            request_exit()
            return
