"""``python -m nur_notebook.server [--host H] [--port P] [--data-dir DIR]``: run the server."""

from __future__ import annotations

import sys

from nur_notebook.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
