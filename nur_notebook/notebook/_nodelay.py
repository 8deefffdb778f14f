"""Jupyter server extension: TCP_NODELAY on the kernel WebSocket.

jupyter_server's kernel WebSocket leaves Nagle's algorithm on, so a small kernel->browser
message that follows another one waits for the browser's delayed ACK: about 45 ms on every
agent-audio chunk and live transcript update (measured in ``bench/relay.py``). This
extension turns Nagle off for kernel WebSockets as they open. It ships enabled with the
package (``jupyter-config/jupyter_server_config.d/nur_notebook.json``); to compare, set it to
``false`` in that file (``bench/relay.py`` measures both).

It imports nothing from the rest of the package, so loading it costs the server nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

_MARK = "_nur_nodelay"


def install(handler_class: type[Any]) -> bool:
    """Make ``handler_class.open`` set TCP_NODELAY first; False if it already does."""
    if getattr(handler_class, _MARK, False):
        return False
    original: Callable[..., Awaitable[Any] | None] = handler_class.open

    @functools.wraps(original)
    def open_without_delay(self: Any, *args: Any, **kwargs: Any) -> Awaitable[Any] | None:
        if self.ws_connection is not None:
            self.set_nodelay(True)
        return original(self, *args, **kwargs)

    handler_class.open = open_without_delay
    setattr(handler_class, _MARK, True)
    return True


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    if install(KernelWebsocketHandler):
        serverapp.log.info("nur_notebook: TCP_NODELAY set on kernel WebSockets")
