"""What every route module shares: reaching the app's state, documented error responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from nur_notebook.server.config import ServerConfig
from nur_notebook.server.schemas import ErrorBody
from nur_notebook.server.store import AgentRecord, SessionRecord, Store

#: ``async def hook(session_id, reason) -> None``
SessionEndedHook = Callable[[str, str], Awaitable[None]]
#: ``async def hook(session, agent) -> None``
SessionCreatedHook = Callable[[SessionRecord, AgentRecord], Awaitable[None]]


@dataclass
class ServerHooks:
    """In-process hooks other parts of the server register on (``app.state.hooks``).

    ``on_session_ended`` hooks are awaited when REST ends a session (an agent was
    deleted), so the session's live socket can be closed. ``on_session_created`` hooks
    are awaited when a session is created, so the engines can get ready for it before
    its socket opens. A failing hook is logged and does not stop the others.
    """

    on_session_ended: list[SessionEndedHook] = field(default_factory=list)
    on_session_created: list[SessionCreatedHook] = field(default_factory=list)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid request; `param` names the parameter"},
    401: {"model": ErrorBody, "description": "Missing, unknown or revoked API key"},
    404: {"model": ErrorBody, "description": "No such object in this account"},
    413: {"model": ErrorBody, "description": "Request body too large"},
}


def store_of(request: Request) -> Store:
    """The app's SQLite store."""
    store: Store = request.app.state.store
    return store


def config_of(request: Request) -> ServerConfig:
    """The app's configuration."""
    config: ServerConfig = request.app.state.config
    return config


def hooks_of(request: Request) -> ServerHooks:
    """The app's in-process hooks."""
    hooks: ServerHooks = request.app.state.hooks
    return hooks
