"""The client side of a live session: the session WebSocket with reconnect, resume and tools.

``AsyncSessionConnection`` (asyncio) and ``SessionConnection`` (blocking, for scripts)
are what ``client.agents.sessions.connect(...)`` returns. The protocol itself, pure and
shared with the server, is ``nur_notebook.protocol``.
"""

from __future__ import annotations

from nur_notebook.realtime.blocking import SessionConnection
from nur_notebook.realtime.connection import AsyncSessionConnection
from nur_notebook.realtime.errors import (
    ReconnectFailedError,
    SessionClosedError,
    SessionConnectionError,
)
from nur_notebook.realtime.events import ConnectionReconnecting, ConnectionResumed, ResponseAudio
from nur_notebook.realtime.session import connect_async, connect_blocking, session_websocket_url

__all__ = [
    "AsyncSessionConnection",
    "ConnectionReconnecting",
    "ConnectionResumed",
    "ReconnectFailedError",
    "ResponseAudio",
    "SessionClosedError",
    "SessionConnection",
    "SessionConnectionError",
    "connect_async",
    "connect_blocking",
    "session_websocket_url",
]
