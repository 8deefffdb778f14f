"""``python -m nur_notebook ...``: the ``nur-notebook`` command."""

from __future__ import annotations

import sys

from nur_notebook.cli import main

if __name__ == "__main__":
    sys.exit(main())
