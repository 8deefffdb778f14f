"""Resource namespaces: ``agents``, ``agents.sessions``, ``sessions``, ``voices``.

Each method builds a ``Call`` with the pure functions in ``calls.py`` and hands it to the
client, so the sync and async twins stay one line each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from nur_notebook.client import calls
from nur_notebook.client.types import Agent, AgentDeleted, Page, Session, Voice

if TYPE_CHECKING:
    from nur_notebook.client.client import AsyncNurClient, NurClient
    from nur_notebook.realtime import AsyncSessionConnection, SessionConnection

#: Page size ``iter_all`` asks for (the API's maximum).
MAX_PAGE_SIZE = 100


class AgentSessions:
    """``client.agents.sessions``: start sessions with an agent."""

    def __init__(self, client: NurClient) -> None:
        self._client = client

    def create(
        self,
        *,
        agent_id: str,
        metadata: Mapping[str, Any] | None = None,
        initial_message: str | None = None,
    ) -> Session:
        """Start a session; its ``websocket_url`` is where the conversation happens."""
        call = calls.create_session(
            agent_id=agent_id, metadata=metadata, initial_message=initial_message
        )
        return self._client.request(call)

    def connect(
        self,
        session: Session | str,
        *,
        tools: Mapping[str, Callable[..., Any]] | None = None,
        last_seq: int | None = None,
        resume_token: str | None = None,
        **options: Any,
    ) -> SessionConnection:
        """Open the session's WebSocket, for ``with``: a blocking event iterator plus
        ``send_audio``/``send_text``/``commit``/``cancel``; ``tools`` answer tool calls;
        it reconnects and resumes on its own (see ``nur_notebook.realtime``)."""
        from nur_notebook.realtime.session import connect_blocking  # websockets only when used

        return connect_blocking(
            self._client,
            session,
            tools=tools,
            last_seq=last_seq,
            resume_token=resume_token,
            **options,
        )


class Agents:
    """``client.agents``: create, list, retrieve and delete agents."""

    def __init__(self, client: NurClient) -> None:
        self._client = client

    @cached_property
    def sessions(self) -> AgentSessions:
        """Sessions of agents."""
        return AgentSessions(self._client)

    def create(
        self,
        *,
        name: str,
        voice_id: str,
        system_prompt: str,
        language: str = "en",
        tools: Sequence[calls.ToolLike] | None = None,
        max_turns: int = 50,
    ) -> Agent:
        """Create an agent with a persona, a voice and optional tools."""
        call = calls.create_agent(
            name=name,
            voice_id=voice_id,
            system_prompt=system_prompt,
            language=language,
            tools=tools,
            max_turns=max_turns,
        )
        return self._client.request(call)

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


class Sessions:
    """``client.sessions``: sessions by id."""

    def __init__(self, client: NurClient) -> None:
        self._client = client

    def retrieve(self, session_id: str) -> Session:
        """One session by id, with its current status."""
        return self._client.request(calls.retrieve_session(session_id))

    def transcript(self, session_id: str) -> dict[str, Any]:
        """The session's transcript as the server keeps it (local server extension)."""
        return self._client.request(calls.session_transcript(session_id))


class Voices:
    """``client.voices``: the voices agents may use."""

    def __init__(self, client: NurClient) -> None:
        self._client = client

    def list(self) -> list[Voice]:
        """Every voice, with the languages it speaks."""
        return self._client.request(calls.list_voices())


class AsyncAgentSessions:
    """``client.agents.sessions`` of ``AsyncNurClient``."""

    def __init__(self, client: AsyncNurClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        agent_id: str,
        metadata: Mapping[str, Any] | None = None,
        initial_message: str | None = None,
    ) -> Session:
        """Start a session; its ``websocket_url`` is where the conversation happens."""
        call = calls.create_session(
            agent_id=agent_id, metadata=metadata, initial_message=initial_message
        )
        return await self._client.request(call)

    def connect(
        self,
        session: Session | str,
        *,
        tools: Mapping[str, Callable[..., Any]] | None = None,
        last_seq: int | None = None,
        resume_token: str | None = None,
        **options: Any,
    ) -> AsyncSessionConnection:
        """Open the session's WebSocket, for ``async with``: an async event iterator plus
        ``send_audio``/``send_text``/``commit``/``cancel``; ``tools`` answer tool calls;
        it reconnects and resumes on its own (see ``nur_notebook.realtime``)."""
        from nur_notebook.realtime.session import connect_async  # websockets only when used

        return connect_async(
            self._client,
            session,
            tools=tools,
            last_seq=last_seq,
            resume_token=resume_token,
            **options,
        )


class AsyncAgents:
    """``client.agents`` of ``AsyncNurClient``."""

    def __init__(self, client: AsyncNurClient) -> None:
        self._client = client

    @cached_property
    def sessions(self) -> AsyncAgentSessions:
        """Sessions of agents."""
        return AsyncAgentSessions(self._client)

    async def create(
        self,
        *,
        name: str,
        voice_id: str,
        system_prompt: str,
        language: str = "en",
        tools: Sequence[calls.ToolLike] | None = None,
        max_turns: int = 50,
    ) -> Agent:
        """Create an agent with a persona, a voice and optional tools."""
        call = calls.create_agent(
            name=name,
            voice_id=voice_id,
            system_prompt=system_prompt,
            language=language,
            tools=tools,
            max_turns=max_turns,
        )
        return await self._client.request(call)

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


class AsyncSessions:
    """``client.sessions`` of ``AsyncNurClient``."""

    def __init__(self, client: AsyncNurClient) -> None:
        self._client = client

    async def retrieve(self, session_id: str) -> Session:
        """One session by id, with its current status."""
        return await self._client.request(calls.retrieve_session(session_id))

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The session's transcript as the server keeps it (local server extension)."""
        return await self._client.request(calls.session_transcript(session_id))


class AsyncVoices:
    """``client.voices`` of ``AsyncNurClient``."""

    def __init__(self, client: AsyncNurClient) -> None:
        self._client = client

    async def list(self) -> list[Voice]:
        """Every voice, with the languages it speaks."""
        return await self._client.request(calls.list_voices())
