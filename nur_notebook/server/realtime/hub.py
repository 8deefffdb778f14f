"""The live sessions of one server: creating runtimes, ending them, REST status.

``SessionHub`` lives on ``app.state.realtime``. It builds a runtime on a session's first
connection, keeps it while the session is active (so a dropped connection can resume),
and moves the REST status when a session ends: ``max_turns`` and ``client_ended`` give
``ended``, expiry gives ``expired``. When REST ends a session (its agent was deleted) the
hub hears it through ``app.state.hooks.on_session_ended`` and ends the live runtime.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.server.pipeline.base import ToolSpec
from nur_notebook.server.realtime.engines import EngineHost
from nur_notebook.server.realtime.profile import AgentProfile, RuntimeOptions, SessionInfo
from nur_notebook.server.realtime.runtime import SessionRuntime
from nur_notebook.server.realtime.transcripts import TranscriptStore
from nur_notebook.server.store import AgentRecord, SessionRecord, SessionStatus, Store

log = logging.getLogger(__name__)

#: Worker threads for engine calls: a brain stream holds one for a whole reply, so there
#: are enough for many sessions speaking at once (the engines themselves batch or lock).
ENGINE_WORKERS = 32


def tool_specs(tools: list[dict[str, object]]) -> list[ToolSpec]:
    """The agent's stored tool definitions as the brain's ``ToolSpec``."""
    specs = []
    for tool in tools:
        parameters = tool.get("parameters") or {}
        specs.append(
            ToolSpec(
                name=str(tool["name"]),
                description=str(tool.get("description") or ""),
                parameters=dict(parameters) if isinstance(parameters, dict) else {},
            )
        )
    return specs


def session_info(record: SessionRecord, agent: AgentRecord) -> SessionInfo:
    return SessionInfo(
        session_id=record.session_id,
        agent=AgentProfile(
            agent_id=agent.id,
            system_prompt=agent.system_prompt,
            voice_id=agent.voice_id,
            language=agent.language,
            tools=tool_specs(agent.tools),
            max_turns=agent.max_turns,
        ),
        agent_name=agent.name,
        initial_message=record.initial_message,
        expires_at=datetime.fromtimestamp(record.expires_at, UTC),
        agent_tools=agent.tools,
    )


class SessionHub:
    """Every live session runtime of this server."""

    def __init__(
        self,
        *,
        store: Store,
        host: EngineHost,
        options: RuntimeOptions | None = None,
    ) -> None:
        self.store = store
        self.host = host
        self.options = options or RuntimeOptions()
        self.transcripts = TranscriptStore(store)
        self.runtimes: dict[str, SessionRuntime] = {}
        self._lock = asyncio.Lock()
        #: Where every session's blocking engine calls run (STT, brain streams, TTS).
        self.pool = ThreadPoolExecutor(max_workers=ENGINE_WORKERS, thread_name_prefix="engines")

    async def runtime_for(self, record: SessionRecord, agent: AgentRecord) -> SessionRuntime:
        """The session's runtime, made on first use (engines must be ready)."""
        async with self._lock:
            runtime = self.runtimes.get(record.session_id)
            # Read again under the lock: the session may have ended since the handshake
            # checked it (a client reconnecting the moment its socket closed).
            current = self.store.get_session(record.session_id)
            ended = runtime.ended if runtime is not None else None
            if ended or current is None or current.status != "active":
                raise ProtocolError(
                    ErrorCode.INVALID_STATE,
                    "the session has ended",
                    close_code=CloseCode.SESSION_GONE,
                )
            if runtime is None:
                engines = self.host.engines
                if engines is None:
                    raise RuntimeError("the speech engines are not loaded")
                runtime = SessionRuntime(
                    session_info(record, agent),
                    engines=engines,
                    store=self.transcripts,
                    options=self.options,
                    on_ended=self._ended,
                    pool=self.pool,
                )
                self.runtimes[record.session_id] = runtime
            return runtime

    async def _ended(self, session_id: str, reason: str) -> None:
        """A runtime ended: make REST say so and forget the runtime."""
        status: SessionStatus = "expired" if reason == "expired" else "ended"
        await asyncio.to_thread(self.store.set_session_status, session_id, status, reason=reason)
        self.runtimes.pop(session_id, None)

    async def on_session_created(self, record: SessionRecord, agent: AgentRecord) -> None:
        """Hook for REST: a session was created; its brain starts on the agent's prompt now,
        not when the socket opens (returns once the warm-up is queued)."""
        engines = self.host.engines
        if engines is None:  # still loading: the runtime prepares on its first connection
            return
        profile = session_info(record, agent).agent
        await asyncio.to_thread(engines.brain.prepare, profile.brain_request(record.session_id))

    async def on_session_ended(self, session_id: str, reason: str) -> None:
        """Hook for REST: a session ended there (e.g. its agent was deleted)."""
        runtime = self.runtimes.get(session_id)
        if runtime is not None:
            await runtime.end(reason)

    async def close(self) -> None:
        """Server shutdown: stop every runtime without changing REST status."""
        for runtime in list(self.runtimes.values()):
            await runtime.shutdown()
        self.runtimes.clear()
        self.transcripts.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
