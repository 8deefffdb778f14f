"""Events the session connection makes up on the client side, beside the server's.

The server's events come from ``nur_notebook.protocol.events``. The connection adds:

- ``response.audio``: one binary output frame, decoded (``pcm``, ``sample_rate``,
  ``generation``, ``last``);
- ``connection.reconnecting``: the socket dropped; reconnect ``attempt`` follows in
  ``delay`` seconds;
- ``connection.resumed``: the socket is back and ``replayed`` missed events came first
  (the server's ``session.resumed``, under the name clients listen for).

They share the server events' shape: a literal ``type`` and ``to_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from nur_notebook.protocol.schema import EventBase

#: Output audio is PCM16: two bytes per sample.
_SAMPLE_BYTES = 2


@dataclass(frozen=True)
class ResponseAudio(EventBase):
    """Agent audio: PCM16 LE mono at ``sample_rate``, of the response ``generation``."""

    pcm: bytes
    sample_rate: int
    generation: int
    last: bool = False
    frame_seq: int = 0
    seq: int = 0
    type: Literal["response.audio"] = "response.audio"

    @property
    def duration_ms(self) -> float:
        """Length of ``pcm`` in milliseconds."""
        return len(self.pcm) / _SAMPLE_BYTES / self.sample_rate * 1000.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: the samples themselves are left out (they are not JSON)."""
        return {
            "type": self.type,
            "sample_rate": self.sample_rate,
            "generation": self.generation,
            "last": self.last,
            "frame_seq": self.frame_seq,
            "bytes": len(self.pcm),
            "duration_ms": round(self.duration_ms, 3),
            "seq": self.seq,
        }


@dataclass(frozen=True)
class ConnectionReconnecting(EventBase):
    """The socket dropped (``code`` is its close code, 1006 when it just vanished)."""

    attempt: int
    delay: float
    code: int | None = None
    reason: str = ""
    seq: int = 0
    type: Literal["connection.reconnecting"] = "connection.reconnecting"


@dataclass(frozen=True)
class ConnectionResumed(EventBase):
    """The socket is back; ``replayed`` events missed meanwhile were delivered first."""

    replayed: int
    last_seq: int
    #: The last client event the server had applied (None: a server that does not ack).
    client_seq: int | None = None
    seq: int = 0
    type: Literal["connection.resumed"] = "connection.resumed"


LocalEvent = ResponseAudio | ConnectionReconnecting | ConnectionResumed
