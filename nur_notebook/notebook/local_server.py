"""Start, find, watch and stop the local Nur server as a background process.

The notebook never imports the server: it runs ``python -m nur_notebook.server`` in a
child process and learns where it listens from ``<data_dir>/server.json`` (``base_url``,
``pid``, ``started_at``), written by the server once it accepts connections, and its API
key from ``<data_dir>/api_key``. A server already running on the same data dir (its pid
alive and answering) is reused instead of starting another.

The server outlives the kernel that started it: each kernel using it calls ``register``
(a file in ``<data_dir>/kernels/`` while it lives) and ``unregister`` when it exits, and a
server started with ``exit_when_unused`` (``--exit-when-unused``; what ``connect`` asks
for) stops itself once no registered kernel has been alive for that many seconds. A
restarted kernel, or a second notebook, finds the same warm server; ``stop`` still stops
it at once.

    server = LocalServer(exit_when_unused=default_grace())
    server.register()                  # until unregister(), this process uses the server
    info = server.start(progress=print)
    client = NurClient(api_key=server.api_key(), base_url=info.base_url)
    server.unregister()                # the server stops after the grace if no one is left
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import platformdirs
import psutil

from nur_notebook.notebook.errors import LocalServerError
from nur_notebook.notebook.health import HEALTH_PATH, fetch_health
from nur_notebook.protocol.data_dir import DataFiles

#: Environment variable choosing the local server's data directory.
DATA_DIR_ENV = "NUR_NOTEBOOK_DATA_DIR"
#: Environment variable choosing how long a server the notebook started outlives its last
#: kernel (seconds).
GRACE_ENV = "NUR_NOTEBOOK_SERVER_GRACE"
#: That time unless the variable says otherwise: long enough for a kernel restart or a
#: notebook opened next.
DEFAULT_GRACE = 300.0

# Timeouts (seconds)
START_TIMEOUT = 180.0
PROBE_TIMEOUT = 2.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.2


def default_data_dir() -> Path:
    """``NUR_NOTEBOOK_DATA_DIR``, else ``<user data dir>/nur-notebook/server``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("nur-notebook")) / "server"


def default_grace() -> float:
    """``NUR_NOTEBOOK_SERVER_GRACE`` (seconds, > 0), else ``DEFAULT_GRACE``."""
    configured = os.environ.get(GRACE_ENV, "").strip()
    if not configured:
        return DEFAULT_GRACE
    try:
        grace = float(configured)
    except ValueError:
        grace = math.nan
    if not (math.isfinite(grace) and grace > 0):
        raise LocalServerError(f"{GRACE_ENV} must be a number of seconds > 0, got {configured!r}")
    return grace


@dataclass(frozen=True)
class ServerInfo:
    """What a running server wrote about itself in ``server.json``."""

    base_url: str
    pid: int
    started_at: str

    @classmethod
    def read(cls, path: Path) -> ServerInfo | None:
        """The info in ``path``, or None when it is missing or not (yet) complete."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["base_url"]), int(data["pid"]), str(data.get("started_at", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None


class LocalServer:
    """One local server, identified by its data directory."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        python: str = sys.executable,
        port: int = 0,
        extra_args: tuple[str, ...] = (),
        exit_when_unused: float | None = None,
    ) -> None:
        self.data_dir = (data_dir or default_data_dir()).resolve()
        #: Where the server writes its info and key, and where its output is logged.
        self.files = DataFiles.under(self.data_dir)
        self.python = python
        self.port = port
        self.extra_args = extra_args
        #: A server this object starts stops once no registered kernel has been alive for
        #: this many seconds (None: it runs until stopped).
        self.exit_when_unused = exit_when_unused
        #: Whether this object started the process (only then ``stop_if_owned`` stops it).
        self.owned = False
        self._process: subprocess.Popen[bytes] | None = None
        self._registration: Path | None = None

    def register(self) -> Path:
        """Record that this process uses the server on this data dir, until ``unregister``
        (or until the process is gone); returns the file that says so."""
        if self._registration is not None:
            return self._registration
        me = psutil.Process()
        path = self.files.kernel_file(pid=me.pid, token=secrets.token_hex(4))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"pid": me.pid, "created": me.create_time()}), encoding="utf-8")
        tmp.replace(path)
        self._registration = path
        return path

    def unregister(self) -> None:
        """Withdraw ``register`` (the kernel exits); nothing happens when not registered."""
        path, self._registration = self._registration, None
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def api_key(self) -> str:
        """The key the server wrote on its first start."""
        path = self.files.api_key
        try:
            key = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise LocalServerError(f"the local server wrote no API key at {path}: {exc}") from exc
        if not key:
            raise LocalServerError(f"the API key file {path} is empty")
        return key

    def running(self) -> ServerInfo | None:
        """The server on this data dir if its process is alive and it answers HTTP."""
        self._reap()
        info = ServerInfo.read(self.files.server_info)
        if info is None or not _is_server_process(info.pid):
            return None
        return info if _answers(info.base_url) else None

    def _reap(self) -> None:
        """Forget the process this object started once it has exited (on its own, unused)."""
        if self._process is not None and self._process.poll() is not None:
            self._process = None
            self.owned = False

    def start(self, *, progress: Callable[[str], None] | None = None) -> ServerInfo:
        """Reuse the running server or start one; returns once it answers HTTP."""
        report = progress or (lambda _message: None)
        info = self.running()
        if info is not None:
            report(f"Reusing the local Nur server at {info.base_url} (pid {info.pid})")
            return info
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.files.server_info.unlink()  # stale: its process is gone or does not answer
        command = [self.python, "-m", "nur_notebook.server", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir)]
        if self.exit_when_unused is not None:
            command += ["--exit-when-unused", str(self.exit_when_unused)]
        command += self.extra_args
        report("Starting the local Nur server ...")
        with self.files.log.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal kernel does not hit it
                env=_child_env(),
            )
        self.owned = True
        return self._wait_until_listening(self._process, report)

    def _wait_until_listening(
        self, process: subprocess.Popen[bytes], report: Callable[[str], None]
    ) -> ServerInfo:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                raise LocalServerError(
                    f"the local Nur server exited with code {code} while starting; "
                    f"the end of its log ({self.files.log}):\n{self.logs(lines=20)}"
                )
            info = ServerInfo.read(self.files.server_info)
            if info is not None and info.pid == process.pid and _answers(info.base_url):
                report(f"Local Nur server listening at {info.base_url}")
                return info
            time.sleep(POLL_INTERVAL)
        self.stop()
        raise LocalServerError(
            f"the local Nur server did not answer within {START_TIMEOUT:.0f} s; "
            f"see its log at {self.files.log}"
        )

    def status(self) -> dict[str, Any]:
        """The server's ``/health`` document (its engines; ``kernels``: how many live
        kernels use it) with the process facts added; ``{"running": False}`` when no server
        runs here."""
        info = self.running()
        if info is None:
            return {"running": False, "data_dir": str(self.data_dir)}
        facts: dict[str, Any] = {
            "running": True,
            "base_url": info.base_url,
            "pid": info.pid,
            "started_at": info.started_at,
            "data_dir": str(self.data_dir),
        }
        with contextlib.suppress(psutil.Error):
            facts["rss_mb"] = round(psutil.Process(info.pid).memory_info().rss / 2**20)
        return {**fetch_health(info.base_url, timeout=PROBE_TIMEOUT), **facts}

    def stop(self, *, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop the server on this data dir (SIGTERM, then SIGKILL); True if one ran."""
        self._reap()
        pid = self._process.pid if self._process is not None else None
        info = ServerInfo.read(self.files.server_info)
        if pid is None and info is not None and _is_server_process(info.pid):
            pid = info.pid
        if pid is None:
            return False
        try:
            process = psutil.Process(pid)
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        except psutil.NoSuchProcess:
            pass
        if self._process is not None:
            self._process.poll()  # reap it
            self._process = None
        with contextlib.suppress(FileNotFoundError):
            current = ServerInfo.read(self.files.server_info)
            if current is None or current.pid == pid:
                self.files.server_info.unlink()
        self.owned = False
        return True

    def stop_if_owned(self) -> None:
        """Stop the server if this object started it and it still runs (for a script that
        wants the server gone with it; kernels ``unregister`` instead)."""
        if self.owned:
            self.stop()

    def logs(self, *, lines: int = 50) -> str:
        """The last ``lines`` lines of the server's log file."""
        try:
            text = self.files.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _child_env() -> dict[str, str]:
    """This environment, with this package's folder on PYTHONPATH so the server runs the
    same code as the kernel (also from a source checkout that is not installed)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p != root]])
    return env


def _answers(base_url: str) -> bool:
    try:
        httpx.get(base_url + HEALTH_PATH, timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return False
    return True


def _is_server_process(pid: int) -> bool:
    """Whether ``pid`` is alive and runs the Nur server (not a recycled pid)."""
    try:
        cmdline = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return any("nur_notebook.server" in part or "nur-notebook" in part for part in cmdline)
