"""The notebook kit: ``%load_ext nur_notebook``, ``%%nur_agent``, ``@tool``, ``Conversation``.

``extension`` connects the kernel and registers the magics; ``tools`` turns functions
into agent tools; ``conversation`` is the live session object the widget belongs to.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from nur_notebook.notebook.conversation import Conversation
    from nur_notebook.notebook.tools import Tool, registered_tools, tool

#: Imported on first use: the Jupyter server loads ``nur_notebook.notebook._server_ext``
#: through this package and should not pay for numpy, websockets and the widget.
_LAZY = {
    "Conversation": "nur_notebook.notebook.conversation",
    "Tool": "nur_notebook.notebook.tools",
    "registered_tools": "nur_notebook.notebook.tools",
    "tool": "nur_notebook.notebook.tools",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def load_ipython_extension(ip: InteractiveShell) -> None:
    """``%load_ext nur_notebook`` (see :mod:`nur_notebook.notebook.extension`)."""
    from nur_notebook.notebook.extension import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: InteractiveShell) -> None:
    """``%unload_ext nur_notebook``."""
    from nur_notebook.notebook.extension import unload_ipython_extension as unload

    unload(ip)


__all__ = [
    "Conversation",
    "Tool",
    "load_ipython_extension",
    "registered_tools",
    "tool",
    "unload_ipython_extension",
]
