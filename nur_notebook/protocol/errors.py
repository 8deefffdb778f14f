"""Error codes and WebSocket close codes of the session protocol (docs/protocol.md).

A ``ProtocolError`` is raised by the pure codec for input it cannot accept; the server
turns it into an ``error`` event (or, when ``close_code`` is set, closes the socket with
that code after the event).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` event."""

    INVALID_JSON = "invalid_json"
    INVALID_EVENT = "invalid_event"
    UNKNOWN_EVENT = "unknown_event"
    INVALID_AUDIO_FRAME = "invalid_audio_frame"
    AUDIO_FRAME_TOO_LARGE = "audio_frame_too_large"
    EVENT_TOO_LARGE = "event_too_large"
    UNKNOWN_CALL_ID = "unknown_call_id"
    DUPLICATE_TOOL_RESULT = "duplicate_tool_result"
    TOOL_TIMEOUT = "tool_timeout"
    RATE_LIMITED = "rate_limited"
    INVALID_STATE = "invalid_state"
    ENGINES_UNAVAILABLE = "engines_unavailable"
    INTERNAL_ERROR = "internal_error"


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (4000-4999 are ours)."""

    NORMAL = 1000
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    UNAUTHORIZED = 4001
    SESSION_NOT_FOUND = 4004
    RATE_LIMITED = 4008
    REPLACED = 4009
    SESSION_GONE = 4010
    RESUME_REJECTED = 4011


#: Close codes after which reconnecting cannot help.
FINAL_CLOSE_CODES = frozenset(
    {
        CloseCode.NORMAL,
        CloseCode.UNAUTHORIZED,
        CloseCode.SESSION_NOT_FOUND,
        CloseCode.REPLACED,
        CloseCode.SESSION_GONE,
    }
)


class ProtocolError(Exception):
    """Input the protocol does not accept.

    ``event_id`` echoes the client's ``event_id`` when the bad event carried one;
    ``close_code`` is set when the connection must close after reporting it.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        event_id: str | None = None,
        close_code: CloseCode | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.event_id = event_id
        self.close_code = close_code
