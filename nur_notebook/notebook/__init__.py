"""The notebook kit: ``%load_ext nur_notebook``, ``%%nur_agent``, ``@tool``, ``Conversation``.

``extension`` connects the kernel and registers the magics; ``tools`` turns functions
into agent tools; ``conversation`` is the live session object the widget belongs to.
"""

from __future__ import annotations

from typing import Any

from nur_notebook.notebook.conversation import Conversation
from nur_notebook.notebook.tools import Tool, registered_tools, tool


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext nur_notebook`` (see :mod:`nur_notebook.notebook.extension`)."""
    from nur_notebook.notebook.extension import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: Any) -> None:
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
