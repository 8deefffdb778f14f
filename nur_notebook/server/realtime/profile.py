"""What a session runtime knows about its session and agent, and how it describes them.

Plain data built from the REST store's records (``hub.session_info``), plus the
``session`` object that ``session.created`` / ``session.updated`` carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nur_notebook.protocol.pcm import INPUT_RATE
from nur_notebook.protocol.settings import SessionSettings
from nur_notebook.server.pipeline.base import BrainRequest, Message, ToolSpec
from nur_notebook.server.realtime.limits import RateLimit

#: What the agent says when ``max_turns`` is reached, by language.
GOODBYES = {
    "en": "That's all the time we have for this conversation. Thank you, goodbye!",
    "es": "Eso es todo por esta conversación. Gracias, ¡adiós!",
    "fr": "C'est tout pour cette conversation. Merci, au revoir !",
    "de": "Das war alles für dieses Gespräch. Danke, auf Wiedersehen!",
}

#: Client events: 50/s sustained, bursts of 100 (docs/protocol.md, Limits).
EVENT_LIMIT = RateLimit(rate=50, burst=100)
#: Input audio, in 20 ms units (a frame costs its length): 4 s of audio a second sustained
#: (200 frames of 20 ms), bursts of 8 s.
AUDIO_LIMIT = RateLimit(rate=200, burst=400)
#: The bytes of one unit of ``AUDIO_LIMIT``: 20 ms of input PCM16.
AUDIO_UNIT_BYTES = INPUT_RATE * 2 * 20 // 1000


@dataclass(frozen=True)
class AgentProfile:
    """The agent as the runtime needs it."""

    agent_id: str
    system_prompt: str
    voice_id: str
    language: str
    tools: list[ToolSpec]
    max_turns: int

    def goodbye(self) -> str:
        return GOODBYES.get(self.language, GOODBYES["en"])

    def brain_request(
        self, session: str, history: list[Message] | None = None, *, allow_tools: bool = True
    ) -> BrainRequest:
        """What the brain is asked for the next move of ``session`` with this agent."""
        return BrainRequest(
            system_prompt=self.system_prompt,
            tools=self.tools,
            language=self.language,
            history=history or [],
            session=session,
            allow_tools=allow_tools,
        )


@dataclass(frozen=True)
class SessionInfo:
    """The session as the REST store knows it."""

    session_id: str
    agent: AgentProfile
    agent_name: str
    initial_message: str | None
    expires_at: datetime
    agent_tools: list[dict[str, Any]]


@dataclass(frozen=True)
class RuntimeOptions:
    """Server-wide defaults for sessions."""

    # Limits
    event_limit: RateLimit = EVENT_LIMIT
    audio_limit: RateLimit = AUDIO_LIMIT
    #: Refusals of one flood (no quiet second between them) that close the socket.
    flood_strikes: int = 200
    # Defaults of each session's settings
    silence_ms: int = 600
    tool_timeout_ms: int = 15_000
    # Output pacing: how far audio may run ahead of real time
    lead_s: float = 0.25
    #: The first clause of a reply is spoken once it has this many words and a comma
    #: after them (None: a first sentence is cut only past 60 characters)
    first_clause_words: int | None = 3
    # Speculation: silence after which a turn's transcript and reply start, held back
    # until the turn really ends (0: wait for the whole end-of-turn silence)
    speculate_ms: int = 200
    # Listening ahead: after every this much of one speech, the brain reads the words
    # so far, so the turn evaluates only its last ones (0: it reads them when it ends)
    ahead_ms: int = 1000


def describe_session(
    info: SessionInfo, settings: SessionSettings, *, turns_used: int
) -> dict[str, Any]:
    """The ``session`` object of ``session.created`` / ``session.updated``."""
    agent = info.agent
    expires = info.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": info.session_id,
        "agent": {
            "id": agent.agent_id,
            "name": info.agent_name,
            "voice_id": agent.voice_id,
            "language": agent.language,
            "max_turns": agent.max_turns,
            "tools": info.agent_tools,
            "system_prompt": agent.system_prompt,
        },
        **settings.to_dict(),
        "turns_used": turns_used,
        "expires_at": expires,
    }
