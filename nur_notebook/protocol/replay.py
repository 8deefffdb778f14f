"""Sequence numbers and resume, without I/O.

The server numbers every event it sends with ``ReplayLog.stamp`` and keeps the ones a
reconnecting client needs (transcripts, tool calls, state; never audio, which is stale by
then). A client that reconnects with ``last_seq`` gets ``ReplayLog.since(last_seq)``.
The client keeps a ``SeqTracker`` so a replay shows it no duplicate.

    >>> from nur_notebook.protocol.events import TranscriptAgentFinal, TranscriptUserFinal
    >>> log = ReplayLog()
    >>> first = log.stamp(TranscriptUserFinal(turn=1, text="hi"))
    >>> second = log.stamp(TranscriptAgentFinal(response_id="rsp_1", turn=1, text="hello"))
    >>> [e.seq for e in log.since(first.seq)]
    [2]
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import deque
from typing import Any, TypeVar

from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.protocol.events import NOT_REPLAYED

E = TypeVar("E")

#: Events kept per session for resume. A session of max_turns=1000 with tools emits
#: well under this; past it the oldest go and a resume from before them is rejected.
DEFAULT_CAPACITY = 20_000


class ReplayLog:
    """Numbers server events and keeps the replayable ones for the session's life."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY, last_seq: int = 0) -> None:
        self._events: deque[Any] = deque(maxlen=capacity)
        self._last_seq = last_seq
        self.resume_token = "rsm_" + secrets.token_urlsafe(18)

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def stamp(self, event: E) -> E:
        """``event`` with the next sequence number; kept when it is replayable."""
        self._last_seq += 1
        stamped = dataclasses.replace(event, seq=self._last_seq)  # type: ignore[type-var]
        if getattr(stamped, "type", None) not in NOT_REPLAYED:
            self._events.append(stamped)
        return stamped

    def restore(self, event: Any) -> None:
        """Put back an event already numbered (e.g. loaded from the store after a restart)."""
        self._last_seq = max(self._last_seq, event.seq)
        if event.type not in NOT_REPLAYED:
            self._events.append(event)

    def since(self, last_seq: int) -> list[Any]:
        """The kept events after ``last_seq``, in order; raises if some are gone or unknown."""
        if last_seq < 0 or last_seq > self._last_seq:
            raise ProtocolError(
                ErrorCode.INVALID_STATE,
                f"last_seq {last_seq} is outside this session's 0..{self._last_seq}",
                close_code=CloseCode.RESUME_REJECTED,
            )
        if self._events and last_seq + 1 < self._events[0].seq:
            oldest = self._events[0].seq
            if self._events.maxlen is not None and len(self._events) == self._events.maxlen:
                raise ProtocolError(
                    ErrorCode.INVALID_STATE,
                    f"events before seq {oldest} are no longer kept",
                    close_code=CloseCode.RESUME_REJECTED,
                )
        return [event for event in self._events if event.seq > last_seq]

    def check_token(self, token: str | None) -> None:
        if not token or not secrets.compare_digest(token, self.resume_token):
            raise ProtocolError(
                ErrorCode.INVALID_STATE,
                "resume token does not match this session",
                close_code=CloseCode.RESUME_REJECTED,
            )


class SeqTracker:
    """Client side: accepts each server sequence number once, in order."""

    def __init__(self) -> None:
        self.last_seq = 0

    def accept(self, seq: int) -> bool:
        """True for an event not seen before (``seq`` 0 = unnumbered, always accepted)."""
        if seq == 0:
            return True
        if seq <= self.last_seq:
            return False
        self.last_seq = seq
        return True
