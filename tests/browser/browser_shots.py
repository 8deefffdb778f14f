"""Helpers of the tests in this folder (imported by name: `from browser_shots import ...`).

Fixtures of the browser tests: Jupyter servers, Chromium with a fake microphone, WAVs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_harness import CHROMIUM, REPO, Flavour, JupyterServer

SHOTS = Path("/tmp/shots")

#: A notebook cell that defines the ``lookup_order`` tool (any digits said are the number).
ORDER_TOOL_CELL = '''\
import nur_notebook

@nur_notebook.tool
def lookup_order(order_id: str) -> dict:
    """Look up order status by ID.

    Args:
        order_id: The order number, digits only.
    """
    digits = "".join(ch for ch in order_id if ch.isdigit())
    return {"order_id": digits, "status": "shipped", "carrier": "DHL"}
'''


def missing_requirements() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no browser at {CHROMIUM}"
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not (REPO / "nur_notebook" / "notebook" / "static" / "widget.js").exists():
        return "the widget bundle is not built (npm run build)"
    return None


@contextmanager
def jupyter_running(
    flavour: Flavour, base: Path, *, extra_env: dict[str, str] | None = None
) -> Iterator[JupyterServer]:
    """A Jupyter server until the block ends (the test is skipped when the machine lacks
    what the browser tests need)."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    server = JupyterServer(flavour, base, extra_env=extra_env)
    try:
        yield server
    finally:
        server.stop()


def shot(page: Any, name: str) -> Path:
    """Screenshot of the widget (or the page when there is none) into /tmp/shots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    widget = page.locator(".nur-conv").first
    if widget.count():
        widget.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    return path
