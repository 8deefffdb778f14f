"""Helpers of the tests in this folder (imported by name: `from shell_support import ...`).

A real IPython shell with the notebook kit loaded, and the order tool the tests define in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from IPython.core.interactiveshell import InteractiveShell

from nur_notebook.notebook.conversation import Conversation

#: A notebook cell that defines the ``lookup_order`` tool.
ORDER_TOOL_CELL = '''
import nur_notebook

@nur_notebook.tool
def lookup_order(order_id: str) -> dict:
    """Look up order status by ID.

    Args:
        order_id: The order number.
    """
    return {"order_id": order_id, "status": "shipped"}
'''


@contextmanager
def kit_shell(cell: str, *, conversations: Sequence[str] = ()) -> Iterator[InteractiveShell]:
    """The shell with ``%load_ext nur_notebook`` done and ``cell`` run. At the end the
    names in ``conversations`` are dropped from the user namespace (conversations still
    live are ended), and the kit is unloaded."""
    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("nur_notebook")
    shell.run_cell(cell)
    try:
        yield shell
    finally:
        for name in conversations:
            live = shell.user_ns.pop(name, None)
            if isinstance(live, Conversation) and not live.ended:
                live.end()
        shell.extension_manager.unload_extension("nur_notebook")
