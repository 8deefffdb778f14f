"""From a client and a session (object, dict or id) to a session connection.

``client.agents.sessions.connect(...)`` is a one-line call into ``connect_async`` (on
``AsyncNurClient``) or ``connect_blocking`` (on ``NurClient``): the client layer imports
this module only when a session is opened, so ``import nur_notebook.client`` does not pull
in websockets.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Protocol, TypedDict, Unpack
from urllib.parse import quote, urlsplit, urlunsplit

from nur_notebook.realtime.blocking import SessionConnection
from nur_notebook.realtime.connection import AsyncSessionConnection
from nur_notebook.realtime.tools import ToolFunction


class _ClientLike(Protocol):
    @property
    def api_key(self) -> str | None: ...


def _base_url(client: Any) -> str:
    base = getattr(client, "base_url", None)
    if base is None:
        raise ValueError("the client has no base_url to derive a session's WebSocket URL from")
    return str(base)


def session_websocket_url(session: Any, *, base_url: str) -> str:
    """The WebSocket URL of ``session``: its ``websocket_url`` when it has one, else one
    built from ``base_url`` and the session id (``ws://HOST/v1/sessions/{id}``)."""
    url = (
        session.get("websocket_url")
        if isinstance(session, Mapping)
        else getattr(session, "websocket_url", None)
    )
    if isinstance(url, str) and url:
        return url
    if isinstance(session, str):
        session_id: Any = session
    elif isinstance(session, Mapping):
        session_id = session.get("session_id") or session.get("id")
    else:
        session_id = getattr(session, "session_id", None) or getattr(session, "id", None)
    if not isinstance(session_id, str) or not session_id.startswith("ses_"):
        raise ValueError(f"expected a session, a session dict or a 'ses_...' id, got {session!r}")
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"base_url must be http(s):// or ws(s)://, got {base_url!r}")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return urlunsplit((scheme, parts.netloc, f"{path}/v1/sessions/{quote(session_id)}", "", ""))


class ConnectOptions(TypedDict, total=False):
    """Options of a session connection besides its URL and key (see
    ``AsyncSessionConnection``): ``tools`` answer tool calls; ``last_seq`` and
    ``resume_token`` resume an earlier connection."""

    tools: Mapping[str, ToolFunction] | None
    last_seq: int | None
    resume_token: str | None
    # Reconnecting
    reconnect: bool
    max_reconnect_attempts: int
    # Timeouts, in seconds
    open_timeout: float
    ready_timeout: float
    rng: random.Random | None


def connect_async(
    client: _ClientLike, session: Any, **options: Unpack[ConnectOptions]
) -> AsyncSessionConnection:
    """An (unopened) ``AsyncSessionConnection``: use it with ``async with``."""
    url = session_websocket_url(session, base_url=_base_url(client))
    return AsyncSessionConnection(url, api_key=client.api_key, **options)


def connect_blocking(
    client: _ClientLike, session: Any, **options: Unpack[ConnectOptions]
) -> SessionConnection:
    """An (unopened) blocking ``SessionConnection``: use it with ``with``."""
    url = session_websocket_url(session, base_url=_base_url(client))
    return SessionConnection(url, api_key=client.api_key, **options)
