"""The local server's data directory: which file holds what. Pure (paths only).

The server writes these files; the notebook, which starts the server as a child process
and never imports it, reads them. One definition keeps the two sides agreeing:

- ``server.json``: where a running server listens (``base_url``, ``pid``, ``started_at``),
  written once it accepts connections and removed when it stops;
- ``api_key``: the first API key (mode 0600);
- ``nur.sqlite3``: the database of accounts, keys, agents and sessions;
- ``server.log``: the server's output, when the notebook started it;
- ``kernels/``: one file per kernel using the server while that kernel lives, named
  ``<pid>-<token>.json`` and holding ``{"pid": ..., "created": ...}`` (the process's start
  time, so a recycled pid is not taken for the kernel). A server started with
  ``--exit-when-unused`` stops once none of these processes has been alive for that long.

    >>> files = DataFiles.under(Path("/srv/nur"))
    >>> files.server_info.name, files.api_key.parent.name
    ('server.json', 'nur')
    >>> files.kernel_file(pid=4242, token="a1b2").name
    '4242-a1b2.json'
    >>> kernel_pid("4242-a1b2.json"), kernel_pid("notes.txt")
    (4242, None)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: File names inside the data directory.
DATABASE_FILE = "nur.sqlite3"
API_KEY_FILE = "api_key"
SERVER_INFO_FILE = "server.json"
LOG_FILE = "server.log"
KERNELS_DIR = "kernels"
#: How a kernel file's name ends.
KERNEL_SUFFIX = ".json"


@dataclass(frozen=True)
class DataFiles:
    """The paths of the files in one data directory (see the module docstring)."""

    database: Path
    api_key: Path
    server_info: Path
    log: Path
    kernels: Path

    @classmethod
    def under(cls, data_dir: Path) -> DataFiles:
        """The files of ``data_dir``."""
        return cls(
            database=data_dir / DATABASE_FILE,
            api_key=data_dir / API_KEY_FILE,
            server_info=data_dir / SERVER_INFO_FILE,
            log=data_dir / LOG_FILE,
            kernels=data_dir / KERNELS_DIR,
        )

    def kernel_file(self, *, pid: int, token: str) -> Path:
        """The file registering the kernel process ``pid`` (``token`` tells apart two
        registrations of one process)."""
        return self.kernels / f"{pid}-{token}{KERNEL_SUFFIX}"


def kernel_pid(name: str) -> int | None:
    """The pid a kernel file's ``name`` registers, or None for any other name (a file
    being written, a stray file)."""
    if not name.endswith(KERNEL_SUFFIX):
        return None
    pid, dash, token = name.removesuffix(KERNEL_SUFFIX).partition("-")
    if not dash or not token or not pid.isdigit() or not pid.isascii():
        return None
    return int(pid) if int(pid) > 0 else None
