"""Typed JSON events of the session protocol, both directions (docs/protocol.md).

Every event is a frozen dataclass whose literal ``type`` field is its discriminator.
Server events carry ``seq`` (1, 2, 3, ... per session); client events may carry an
``event_id`` that the server echoes in an ``error`` about them, and a ``seq`` of their own
(1, 2, 3, ... per client stream) that the server acknowledges with ``ack``.

    >>> event = decode_client_event('{"type": "input.text", "text": "hi"}')
    >>> match event:
    ...     case InputText(text=text):
    ...         print(text)
    hi
    >>> encode_event(Pong(seq=3))
    '{"type":"pong","seq":3,"event_id":null}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from nur_notebook.protocol.errors import ErrorCode, ProtocolError
from nur_notebook.protocol.schema import EventBase, event_from_dict, event_to_dict

#: Largest JSON text frame either side accepts, in bytes.
MAX_EVENT_BYTES = 65_536

# --- Client -> server -------------------------------------------------------------


@dataclass(frozen=True)
class SessionUpdate(EventBase):
    """Change the session's settings; only the keys given change (see protocol.md)."""

    session: dict[str, Any]
    type: Literal["session.update"] = "session.update"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class InputText(EventBase):
    """A user turn typed instead of spoken."""

    text: str
    type: Literal["input.text"] = "input.text"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class InputAudioCommit(EventBase):
    """End the user's turn now (push-to-talk): transcribe what was sent since the last turn."""

    type: Literal["input_audio.commit"] = "input_audio.commit"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class InputAudioClear(EventBase):
    """Drop the user audio received since the last turn."""

    type: Literal["input_audio.clear"] = "input_audio.clear"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class ResponseCancel(EventBase):
    """Stop the agent's current response (its audio stops at once)."""

    type: Literal["response.cancel"] = "response.cancel"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class SessionEnd(EventBase):
    """End the session now (``session.ended`` with reason ``client_ended`` follows)."""

    type: Literal["session.end"] = "session.end"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class ToolResult(EventBase):
    """The client's answer to ``tool.call``; idempotent by ``call_id``."""

    call_id: str
    output: Any = None
    is_error: bool = False
    type: Literal["tool.result"] = "tool.result"
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Ping(EventBase):
    type: Literal["ping"] = "ping"
    event_id: str | None = None
    seq: int | None = None


ClientEvent = (
    SessionUpdate
    | InputText
    | InputAudioCommit
    | InputAudioClear
    | ResponseCancel
    | SessionEnd
    | ToolResult
    | Ping
)

# --- Server -> client -------------------------------------------------------------


@dataclass(frozen=True)
class SessionLoading(EventBase):
    """The server's engines are still loading; ``session.created`` follows when ready."""

    stage: str
    seq: int = 0
    type: Literal["session.loading"] = "session.loading"


@dataclass(frozen=True)
class SessionCreated(EventBase):
    """First event of a new connection: the session's settings and a resume token."""

    session: dict[str, Any]
    resume_token: str
    client_seq: int | None = None
    seq: int = 0
    type: Literal["session.created"] = "session.created"


@dataclass(frozen=True)
class SessionUpdated(EventBase):
    session: dict[str, Any]
    seq: int = 0
    type: Literal["session.updated"] = "session.updated"


@dataclass(frozen=True)
class SessionResumed(EventBase):
    """Sent after the replay on a resumed connection."""

    last_seq: int
    replayed: int
    client_seq: int | None = None
    seq: int = 0
    type: Literal["session.resumed"] = "session.resumed"


@dataclass(frozen=True)
class SpeechStarted(EventBase):
    audio_ms: int
    seq: int = 0
    type: Literal["input_audio.speech_started"] = "input_audio.speech_started"


@dataclass(frozen=True)
class SpeechStopped(EventBase):
    audio_ms: int
    seq: int = 0
    type: Literal["input_audio.speech_stopped"] = "input_audio.speech_stopped"


@dataclass(frozen=True)
class InputAudioCleared(EventBase):
    seq: int = 0
    type: Literal["input_audio.cleared"] = "input_audio.cleared"


@dataclass(frozen=True)
class TranscriptUserDelta(EventBase):
    turn: int
    text: str
    seq: int = 0
    type: Literal["transcript.user.delta"] = "transcript.user.delta"


@dataclass(frozen=True)
class TranscriptUserFinal(EventBase):
    turn: int
    text: str
    seq: int = 0
    type: Literal["transcript.user.final"] = "transcript.user.final"


@dataclass(frozen=True)
class ResponseStarted(EventBase):
    response_id: str
    turn: int
    generation: int
    seq: int = 0
    type: Literal["response.started"] = "response.started"


@dataclass(frozen=True)
class TranscriptAgentDelta(EventBase):
    response_id: str
    turn: int
    text: str
    seq: int = 0
    type: Literal["transcript.agent.delta"] = "transcript.agent.delta"


@dataclass(frozen=True)
class TranscriptAgentFinal(EventBase):
    """The agent's whole reply; when interrupted, only the part that was played."""

    response_id: str
    turn: int
    text: str
    interrupted: bool = False
    seq: int = 0
    type: Literal["transcript.agent.final"] = "transcript.agent.final"


@dataclass(frozen=True)
class ResponseInterrupted(EventBase):
    response_id: str
    turn: int
    played_ms: int
    seq: int = 0
    type: Literal["response.interrupted"] = "response.interrupted"


@dataclass(frozen=True)
class ResponseDone(EventBase):
    response_id: str
    turn: int
    status: Literal["completed", "interrupted", "cancelled", "failed"]
    seq: int = 0
    type: Literal["response.done"] = "response.done"


@dataclass(frozen=True)
class ToolCall(EventBase):
    call_id: str
    name: str
    arguments: dict[str, Any]
    response_id: str
    turn: int
    seq: int = 0
    type: Literal["tool.call"] = "tool.call"


@dataclass(frozen=True)
class ToolCallCompleted(EventBase):
    call_id: str
    name: str
    output: Any
    is_error: bool
    duration_ms: float
    seq: int = 0
    type: Literal["tool.call.completed"] = "tool.call.completed"


@dataclass(frozen=True)
class MetricsTurn(EventBase):
    """Per-turn latency, in milliseconds; a stage that did not run is null."""

    turn: int
    voice_to_voice_ms: float | None = None
    stt_ms: float | None = None
    llm_first_token_ms: float | None = None
    llm_first_sentence_ms: float | None = None
    tool_ms: float | None = None
    tts_first_audio_ms: float | None = None
    seq: int = 0
    type: Literal["metrics.turn"] = "metrics.turn"


#: The latency stages of ``metrics.turn`` in pipeline order: the one list of metric keys.
METRIC_KEYS: tuple[str, ...] = tuple(
    item.name for item in fields(MetricsTurn) if item.name.endswith("_ms")
)


@dataclass(frozen=True)
class SessionEnded(EventBase):
    reason: Literal["max_turns", "expired", "agent_deleted", "client_ended", "error"]
    seq: int = 0
    type: Literal["session.ended"] = "session.ended"


@dataclass(frozen=True)
class Error(EventBase):
    code: str
    message: str
    fatal: bool = False
    event_id: str | None = None
    seq: int = 0
    type: Literal["error"] = "error"


@dataclass(frozen=True)
class Ack(EventBase):
    """The client events of this stream up to ``client_seq`` are applied (not numbered)."""

    client_seq: int
    seq: int = 0
    type: Literal["ack"] = "ack"


@dataclass(frozen=True)
class Pong(EventBase):
    seq: int = 0
    event_id: str | None = None
    type: Literal["pong"] = "pong"


ServerEvent = (
    SessionLoading
    | SessionCreated
    | SessionUpdated
    | SessionResumed
    | SpeechStarted
    | SpeechStopped
    | InputAudioCleared
    | TranscriptUserDelta
    | TranscriptUserFinal
    | ResponseStarted
    | TranscriptAgentDelta
    | TranscriptAgentFinal
    | ResponseInterrupted
    | ResponseDone
    | ToolCall
    | ToolCallCompleted
    | MetricsTurn
    | SessionEnded
    | Error
    | Pong
    | Ack
)

CLIENT_EVENTS: dict[str, type[Any]] = {cls.type: cls for cls in get_args(ClientEvent)}
SERVER_EVENTS: dict[str, type[Any]] = {cls.type: cls for cls in get_args(ServerEvent)}


def encode_event(event: ClientEvent | ServerEvent) -> str:
    """Compact JSON text for one event, ``type`` first (a client event's unset ``seq`` left out)."""
    body = event_to_dict(event)
    if "seq" in body and body["seq"] is None:
        del body["seq"]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _parse(text: str | bytes) -> dict[str, Any]:
    if len(text) > MAX_EVENT_BYTES:
        raise ProtocolError(
            ErrorCode.EVENT_TOO_LARGE,
            f"event of {len(text)} bytes exceeds the {MAX_EVENT_BYTES}-byte limit",
        )
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.INVALID_JSON, f"event is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.INVALID_EVENT, "an event must be a JSON object")
    return data


def decode_client_event(text: str | bytes) -> ClientEvent:
    """Parse a client event strictly: unknown types and unknown fields are errors."""
    data = _parse(text)
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(
            ErrorCode.INVALID_EVENT, "event has no string 'type'", event_id=event_id
        )
    cls = CLIENT_EVENTS.get(kind)
    if cls is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_EVENT, f"unknown event type {kind!r}", event_id=event_id
        )
    event: ClientEvent = event_from_dict(cls, data, strict=True, event_id=event_id)
    return event


def decode_server_event(text: str | bytes) -> ServerEvent | UnknownEvent:
    """Parse a server event leniently: unknown fields are ignored and an unknown type
    becomes ``UnknownEvent`` so older clients keep working against newer servers."""
    data = _parse(text)
    kind = data.get("type")
    cls = SERVER_EVENTS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        seq = data.get("seq", 0)
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ProtocolError(ErrorCode.INVALID_EVENT, f"{kind}: field 'seq' must be an integer")
        return UnknownEvent(data=data, type=str(kind), seq=seq)
    event: ServerEvent = event_from_dict(cls, data, strict=False, event_id=None)
    return event


@dataclass(frozen=True)
class UnknownEvent(EventBase):
    """A server event this client version does not know; kept whole in ``data``."""

    data: dict[str, Any] = field(default_factory=dict)
    type: str = "unknown"
    seq: int = 0


#: Server events kept for replay on resume (everything but per-connection chatter).
NOT_REPLAYED = frozenset({"session.loading", "session.created", "session.resumed", "pong", "ack"})
