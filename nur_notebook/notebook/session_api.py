"""What the notebook needs from the session client, as protocols.

The kernel's session bridge talks to a session only through these: an object with
``agents.sessions.connect(session, tools=...)`` (``AsyncNurClient`` is one) that gives an
unopened connection; opened with ``async with``, it iterates the session's typed events
and takes the user's input. Anything with that shape serves: the real client, or a sink
in a benchmark.

    >>> from nur_notebook.client import AsyncNurClient
    >>> client: SessionClient = AsyncNurClient(api_key="k", base_url="http://127.0.0.1:1")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Protocol

from nur_notebook.client.types import Session
from nur_notebook.realtime.events import ConnectionReconnecting
from nur_notebook.realtime.inbound import InboundEvent
from nur_notebook.realtime.tools import ToolFunction

#: What an open session connection yields.
SessionEvent = InboundEvent | ConnectionReconnecting


class SessionLink(Protocol):
    """An open session connection (``AsyncSessionConnection`` is one)."""

    def __aiter__(self) -> AsyncIterator[SessionEvent]: ...

    async def send_audio(self, pcm: bytes) -> None: ...

    async def send_text(self, text: str) -> None: ...

    async def commit(self) -> None: ...

    async def cancel(self) -> None: ...

    async def update(self, **settings: Any) -> None: ...

    async def end(self) -> None: ...

    async def close(self) -> None: ...


class UnopenedSession(Protocol):
    """A session connection to open with ``async with``."""

    async def __aenter__(self) -> SessionLink: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class SessionConnector(Protocol):
    """``client.agents.sessions``: opens a session's connection."""

    def connect(
        self, session: Session | str, *, tools: Mapping[str, ToolFunction] | None = ...
    ) -> UnopenedSession: ...


class _Agents(Protocol):
    @property
    def sessions(self) -> SessionConnector: ...


class SessionClient(Protocol):
    """What the bridge needs from a client: ``client.agents.sessions.connect``."""

    @property
    def agents(self) -> _Agents: ...
