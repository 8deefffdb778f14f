"""The local server's data directory: which file holds what. Pure (paths only).

The server writes these files; the notebook, which starts the server as a child process
and never imports it, reads them. One definition keeps the two sides agreeing:

- ``server.json``: where a running server listens (``base_url``, ``pid``, ``started_at``),
  written once it accepts connections and removed when it stops;
- ``api_key``: the first API key (mode 0600);
- ``nur.sqlite3``: the database of accounts, keys, agents and sessions;
- ``server.log``: the server's output, when the notebook started it.

    >>> files = DataFiles.under(Path("/srv/nur"))
    >>> files.server_info.name, files.api_key.parent.name
    ('server.json', 'nur')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: File names inside the data directory.
DATABASE_FILE = "nur.sqlite3"
API_KEY_FILE = "api_key"
SERVER_INFO_FILE = "server.json"
LOG_FILE = "server.log"


@dataclass(frozen=True)
class DataFiles:
    """The paths of the files in one data directory (see the module docstring)."""

    database: Path
    api_key: Path
    server_info: Path
    log: Path

    @classmethod
    def under(cls, data_dir: Path) -> DataFiles:
        """The files of ``data_dir``."""
        return cls(
            database=data_dir / DATABASE_FILE,
            api_key=data_dir / API_KEY_FILE,
            server_info=data_dir / SERVER_INFO_FILE,
            log=data_dir / LOG_FILE,
        )
