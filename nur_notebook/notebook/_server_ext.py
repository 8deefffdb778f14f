"""Jupyter server extension: TCP_NODELAY on kernel WebSockets, and the audio relay route.

Two things for the conversation widget, loaded by JupyterLab 4 and Notebook 7 alike. It ships
enabled with the package (``jupyter-config/jupyter_server_config.d/nur_notebook.json``); set it
to ``false`` there to compare (``bench/relay.py`` measures both).

- **TCP_NODELAY.** jupyter_server's kernel WebSocket leaves Nagle's algorithm on, so a small
  kernel->browser message that follows another one waits for the browser's delayed ACK: about
  45 ms on every live transcript update. Kernel WebSockets turn Nagle off as they open.
- **The relay route** ``{base_url}nur-notebook/relay/<port>/<token>``: an authenticated
  WebSocket (the kernel WebSocket's own authentication, authorization and origin check) that
  connects to the kernel's relay socket on ``ws://127.0.0.1:<port>/<token>`` and pumps
  messages both ways unchanged (binary stays binary, text stays text), TCP_NODELAY on both
  sockets; when one side closes, so does the other (with the kernel's close code). It only
  ever connects to loopback. The widget's microphone frames and agent audio take this path
  instead of comm messages (see ``relay_socket.py``); browsers cannot reach the kernel's
  loopback port themselves when Jupyter runs on another machine.

It imports no other module of the package's, so it adds nothing to the server but Tornado code.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.websocket import (
    WebSocketClientConnection,
    WebSocketClosedError,
    WebSocketHandler,
    websocket_connect,
)

_MARK = "_nur_nodelay"
#: The route under the server's base URL; the kernel's port and the conversation's token follow.
RELAY_PATH = "nur-notebook/relay"
#: Close code of the browser side when the kernel's socket cannot be reached.
CLOSE_UNREACHABLE = 4502
CONNECT_TIMEOUT_S = 5.0
MAX_MESSAGE_BYTES = 256 * 1024


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


class RelayHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """Browser <-> kernel relay socket, for an authenticated user allowed to run kernels."""

    auth_resource = "kernels"
    upstream: WebSocketClientConnection | None = None
    target = ""

    def set_default_headers(self) -> None:
        """No HTML security headers on a WebSocket (as the kernel WebSocket)."""

    def get_compression_options(self) -> dict[str, Any] | None:
        return None  # PCM does not compress; deflate would only cost CPU

    @ws_authenticated
    async def get(self, port: str, token: str) -> None:
        """Check the user may execute in kernels, then upgrade to a WebSocket."""
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", "kernels")
        )
        if not allowed:
            raise web.HTTPError(403)
        if not 0 < int(port) < 65536:
            raise web.HTTPError(400, "bad port")
        self.target = f"ws://127.0.0.1:{int(port)}/{token}"
        await super().get(port, token)

    async def open(self, *args: Any, **kwargs: Any) -> None:
        """Connect to the kernel's relay socket; close at once if it cannot be reached."""
        super().open()
        self.set_nodelay(True)
        try:
            upstream = await websocket_connect(
                self.target,
                connect_timeout=CONNECT_TIMEOUT_S,
                on_message_callback=self._from_kernel,
                max_message_size=MAX_MESSAGE_BYTES,
            )
        except Exception as exc:  # refused, timed out, not a WebSocket
            self.log.info("nur_notebook relay: no kernel socket at %s: %s", self.target, exc)
            self.close(CLOSE_UNREACHABLE, "kernel relay socket unreachable")
            return
        if upstream.protocol is not None:
            upstream.protocol.set_nodelay(True)
        if self.ws_connection is None:  # the browser left while we connected
            upstream.close()
            return
        self.upstream = upstream

    def _from_kernel(self, message: str | bytes | None) -> None:
        if message is None:  # the kernel closed (or was lost): so does the browser side
            upstream = self.upstream
            code = upstream.close_code if upstream is not None else None
            reason = upstream.close_reason if upstream is not None else None
            self.close(code or 1001, reason or "kernel relay socket closed")
            return
        try:
            self.write_message(message, binary=isinstance(message, bytes))
        except WebSocketClosedError:
            self._close_upstream()

    def on_message(self, message: str | bytes) -> None:
        """A browser message, to the kernel unchanged."""
        upstream = self.upstream
        if upstream is None:
            return
        try:
            upstream.write_message(message, binary=isinstance(message, bytes))
        except WebSocketClosedError:
            self.close(1001, "kernel relay socket closed")

    def on_close(self) -> None:
        """The browser left: close the kernel side."""
        self._close_upstream()

    def _close_upstream(self) -> None:
        upstream, self.upstream = self.upstream, None
        if upstream is not None:
            upstream.close(1000, "browser left")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    if install(KernelWebsocketHandler):
        serverapp.log.info("nur_notebook: TCP_NODELAY set on kernel WebSockets")
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], RELAY_PATH, r"(\d+)/([A-Za-z0-9_-]+)")
    web_app.add_handlers(".*$", [(route, RelayHandler)])
    serverapp.log.info("nur_notebook: audio relay at %s", route)
