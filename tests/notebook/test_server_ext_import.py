"""The Jupyter server extension loads without the notebook kit's heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys


def test_loading_the_server_extension_imports_nothing_heavy() -> None:
    probe = (
        "import json, sys\n"
        "import nur_notebook.notebook._server_ext as ext\n"
        "points = ext._jupyter_server_extension_points()\n"
        "heavy = ['numpy', 'websockets', 'anywidget', 'httpx',\n"
        "         'nur_notebook.notebook.conversation']\n"
        "print(json.dumps({'points': points, 'loaded': [m for m in heavy if m in sys.modules]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["points"] == [{"module": "nur_notebook.notebook._server_ext"}]
    assert result["loaded"] == []


def test_the_package_still_exports_the_kit() -> None:
    import nur_notebook.notebook as kit

    assert kit.Conversation.__name__ == "Conversation"
    assert callable(kit.tool)
