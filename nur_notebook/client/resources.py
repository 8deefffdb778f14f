"""Resource namespaces: ``agents``, ``agents.sessions``, ``sessions``, ``voices``.

Each method builds a ``Call`` with the pure functions in ``calls.py`` (which also hold
the parameters, as typed dicts) and hands it to its client, so the sync and async twins
stay one line each. A namespace knows its client only as a :class:`Requester` (or
:class:`AsyncRequester`): whatever sends a ``Call``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, Unpack

from nur_notebook.client import calls
from nur_notebook.client.types import Agent, AgentDeleted, Page, Session, Voice

if TYPE_CHECKING:
    from nur_notebook.realtime import AsyncSessionConnection, SessionConnection
    from nur_notebook.realtime.session import ConnectOptions

T = TypeVar("T")

#: Page size ``iter_all`` asks for (the API's maximum).
MAX_PAGE_SIZE = 100


class _Configured(Protocol):
    @property
    def api_key(self) -> str: ...

    @property
    def base_url(self) -> str: ...


class Requester(_Configured, Protocol):
    """What a blocking namespace needs from its client."""

    def request(self, call: calls.Call[T]) -> T: ...


class AsyncRequester(_Configured, Protocol):
    """What an asyncio namespace needs from its client."""

    async def request(self, call: calls.Call[T]) -> T: ...


C = TypeVar("C", bound=_Configured)


class _Namespace(Generic[C]):
    """A namespace of one client: :class:`Requester` or :class:`AsyncRequester`."""

    _client: C

    def __init__(self, client: C) -> None:
        self._client = client


class AgentSessions(_Namespace[Requester]):
    """``client.agents.sessions``: start sessions with an agent."""

    def create(self, **params: Unpack[calls.SessionParams]) -> Session:
        """Start a session (``agent_id``, optional ``metadata`` and ``initial_message``);
        its ``websocket_url`` is where the conversation happens."""
        return self._client.request(calls.create_session(**params))

    def connect(
        self, session: Session | str, **options: Unpack[ConnectOptions]
    ) -> SessionConnection:
        """Open the session's WebSocket, for ``with``: a blocking event iterator plus
        ``send_audio``/``send_text``/``commit``/``cancel``; ``tools`` answer tool calls;
        it reconnects and resumes on its own (see ``nur_notebook.realtime``)."""
        from nur_notebook.realtime.session import connect_blocking  # websockets only when used

        return connect_blocking(self._client, session, **options)


class Agents(_Namespace[Requester]):
    """``client.agents``: create, list, retrieve and delete agents."""

    @cached_property
    def sessions(self) -> AgentSessions:
        """Sessions of agents."""
        return AgentSessions(self._client)

    def create(self, **params: Unpack[calls.AgentParams]) -> Agent:
        """Create an agent: ``name``, ``voice_id``, ``system_prompt``, optional
        ``language`` ("en"), ``tools`` and ``max_turns`` (50)."""
        return self._client.request(calls.create_agent(**params))

    def list(self, *, limit: int = 20, offset: int = 0) -> Page[Agent]:
        """One page of agents (``limit`` 1..100); ``page.next_offset`` fetches the next."""
        return self._client.request(calls.list_agents(limit=limit, offset=offset))

    def iter_all(self, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[Agent]:
        """Every agent of the account, fetching pages as needed."""
        offset: int | None = 0
        while offset is not None:
            page = self.list(limit=page_size, offset=offset)
            yield from page
            offset = page.next_offset

    def retrieve(self, agent_id: str) -> Agent:
        """One agent by id."""
        return self._client.request(calls.retrieve_agent(agent_id))

    def delete(self, agent_id: str) -> AgentDeleted:
        """Delete an agent for good; its active sessions end."""
        return self._client.request(calls.delete_agent(agent_id))


class Sessions(_Namespace[Requester]):
    """``client.sessions``: sessions by id."""

    def retrieve(self, session_id: str) -> Session:
        """One session by id, with its current status."""
        return self._client.request(calls.retrieve_session(session_id))

    def transcript(self, session_id: str) -> dict[str, Any]:
        """The session's transcript as the server keeps it (local server extension)."""
        return self._client.request(calls.session_transcript(session_id))


class Voices(_Namespace[Requester]):
    """``client.voices``: the voices agents may use."""

    def list(self) -> list[Voice]:
        """Every voice, with the languages it speaks."""
        return self._client.request(calls.list_voices())


class AsyncAgentSessions(_Namespace[AsyncRequester]):
    """``client.agents.sessions`` of ``AsyncNurClient``."""

    async def create(self, **params: Unpack[calls.SessionParams]) -> Session:
        """Start a session (``agent_id``, optional ``metadata`` and ``initial_message``);
        its ``websocket_url`` is where the conversation happens."""
        return await self._client.request(calls.create_session(**params))

    def connect(
        self, session: Session | str, **options: Unpack[ConnectOptions]
    ) -> AsyncSessionConnection:
        """Open the session's WebSocket, for ``async with``: an async event iterator plus
        ``send_audio``/``send_text``/``commit``/``cancel``; ``tools`` answer tool calls;
        it reconnects and resumes on its own (see ``nur_notebook.realtime``)."""
        from nur_notebook.realtime.session import connect_async  # websockets only when used

        return connect_async(self._client, session, **options)


class AsyncAgents(_Namespace[AsyncRequester]):
    """``client.agents`` of ``AsyncNurClient``."""

    @cached_property
    def sessions(self) -> AsyncAgentSessions:
        """Sessions of agents."""
        return AsyncAgentSessions(self._client)

    async def create(self, **params: Unpack[calls.AgentParams]) -> Agent:
        """Create an agent: ``name``, ``voice_id``, ``system_prompt``, optional
        ``language`` ("en"), ``tools`` and ``max_turns`` (50)."""
        return await self._client.request(calls.create_agent(**params))

    async def list(self, *, limit: int = 20, offset: int = 0) -> Page[Agent]:
        """One page of agents (``limit`` 1..100); ``page.next_offset`` fetches the next."""
        return await self._client.request(calls.list_agents(limit=limit, offset=offset))

    async def iter_all(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[Agent]:
        """Every agent of the account, fetching pages as needed."""
        offset: int | None = 0
        while offset is not None:
            page = await self.list(limit=page_size, offset=offset)
            for agent in page:
                yield agent
            offset = page.next_offset

    async def retrieve(self, agent_id: str) -> Agent:
        """One agent by id."""
        return await self._client.request(calls.retrieve_agent(agent_id))

    async def delete(self, agent_id: str) -> AgentDeleted:
        """Delete an agent for good; its active sessions end."""
        return await self._client.request(calls.delete_agent(agent_id))


class AsyncSessions(_Namespace[AsyncRequester]):
    """``client.sessions`` of ``AsyncNurClient``."""

    async def retrieve(self, session_id: str) -> Session:
        """One session by id, with its current status."""
        return await self._client.request(calls.retrieve_session(session_id))

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The session's transcript as the server keeps it (local server extension)."""
        return await self._client.request(calls.session_transcript(session_id))


class AsyncVoices(_Namespace[AsyncRequester]):
    """``client.voices`` of ``AsyncNurClient``."""

    async def list(self) -> list[Voice]:
        """Every voice, with the languages it speaks."""
        return await self._client.request(calls.list_voices())
