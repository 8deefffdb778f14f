"""Errors of the session connection.

    NurError                       (nur_notebook.client: the root of everything raised)
    └── SessionConnectionError     the session socket could not be used
        ├── SessionClosedError     the server closed it for good (``code``, ``reason``)
        └── ReconnectFailedError   it dropped and every reconnect attempt failed

A session that simply ends (``session.ended``, then close 1000) is not an error: the
event iterator just stops.
"""

from __future__ import annotations

from nur_notebook.client.errors import NurError
from nur_notebook.protocol.errors import CloseCode

_MEANINGS: dict[int, str] = {
    CloseCode.NORMAL: "the connection was closed",
    CloseCode.UNAUTHORIZED: "missing or invalid API key",
    CloseCode.SESSION_NOT_FOUND: "no such session for this API key",
    CloseCode.REPLACED: "replaced by a newer connection to the same session",
    CloseCode.SESSION_GONE: "the session has ended or expired",
    CloseCode.RESUME_REJECTED: "resume rejected",
    CloseCode.RATE_LIMITED: "closed after a sustained flood of events",
    CloseCode.INTERNAL_ERROR: "internal server error",
    CloseCode.MESSAGE_TOO_BIG: "a frame over the transport limit",
}


class SessionConnectionError(NurError):
    """The session socket could not be opened or kept open."""


class SessionClosedError(SessionConnectionError):
    """The server closed the session socket with a final close code."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        meaning = _MEANINGS.get(code, "closed") if code is not None else "closed"
        detail = f": {reason}" if reason else ""
        super().__init__(f"session socket closed with code {code} ({meaning}){detail}")
        self.code = code
        self.reason = reason


class ReconnectFailedError(SessionConnectionError):
    """The socket dropped and reconnecting failed ``attempts`` times in a row."""

    def __init__(self, attempts: int, last_error: str) -> None:
        super().__init__(f"gave up reconnecting after {attempts} attempts: {last_error}")
        self.attempts = attempts
        self.last_error = last_error
