"""``%load_ext nur_notebook``: connect the kernel to a Nur API and register the magics.

Loading prints one line saying where the kernel is connected (and with which engines,
for the local server); loading again only repeats that line. Unloading ends the live
conversations, unregisters the kernel from the local server (which stops itself once no
kernel has used it for a grace period, see ``context``), and removes the magics.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import Any

from nur_notebook.notebook.context import NurContext, connect
from nur_notebook.notebook.magics import NurMagics

_CONTEXT: NurContext | None = None


def current_context() -> NurContext | None:
    """The kernel's connection once the extension is loaded, else None."""
    return _CONTEXT


class _Progress:
    """One output line that rewrites itself while the server and engines start."""

    def __init__(self) -> None:
        self._handle: Any = None

    def __call__(self, message: str) -> None:
        from IPython import display as ipython_display

        display: Callable[..., Any] = ipython_display.display

        text = {"text/plain": message}
        if self._handle is None:
            self._handle = display(text, raw=True, display_id=True)
        else:
            self._handle.update(text, raw=True)

    def clear(self) -> None:
        if self._handle is not None:
            self._handle.update({"text/plain": ""}, raw=True)


def load_ipython_extension(ip: Any) -> None:
    """Connect (hosted with ``NUR_API_KEY``, else the local server) and add the magics."""
    global _CONTEXT
    if _CONTEXT is None:
        progress = _Progress()
        context = connect(progress=progress)
        progress.clear()
        atexit.register(context.close)
        _CONTEXT = context
    ip.register_magics(NurMagics(ip, _CONTEXT))
    print(_CONTEXT.summary())


def unload_ipython_extension(ip: Any) -> None:
    """End conversations, unregister from the local server, remove the magics."""
    global _CONTEXT
    if _CONTEXT is not None:
        _CONTEXT.close()
        atexit.unregister(_CONTEXT.close)
        _CONTEXT = None
    magics = ip.magics_manager.magics
    magics["cell"].pop("nur_agent", None)
    magics["cell"].pop("nur_eval", None)
    magics["line"].pop("nur", None)
