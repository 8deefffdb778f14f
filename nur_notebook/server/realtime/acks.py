"""Client events applied at most once: the server side of at-least-once delivery, pure.

A client numbers the events of its *stream* (``client_stream`` on the connect URL, one
per client connection object, kept across its reconnects) with ``seq`` 1, 2, 3, ... and
keeps each until the server acknowledges it; on a resumed connection it sends again what
was not acknowledged, in order. ``ClientAcks`` is the watermark that makes those resends
harmless: an event whose ``seq`` is not above the last one applied is a duplicate and is
skipped (and acknowledged again). The runtime files ``state()`` in SQLite after every
applied event, so a restarted server skips the same duplicates.

    >>> acks = ClientAcks()
    >>> acks.connect("cs_1")
    0
    >>> [acks.accept(seq) for seq in (1, 2, 2, 1, 3)]
    [True, True, False, False, True]
    >>> acks.connect("cs_1"), acks.connect("cs_2")   # a new stream counts from 0
    (3, 0)

Events without ``seq`` (older clients) are always applied and never acknowledged. A
connection that names no stream is a stream of its own: its numbers are not compared
with any other connection's.
"""

from __future__ import annotations

import json
import re
import secrets

from nur_notebook.protocol.errors import ErrorCode, ProtocolError

#: Largest client ``seq`` (what JSON numbers and SQLite integers both hold exactly).
MAX_CLIENT_SEQ = 2**53 - 1
#: What a ``client_stream`` may look like (it is filed in SQLite and logged).
STREAM_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def check_stream(stream: str | None) -> str | None:
    """``stream`` if it is a valid ``client_stream`` (or None); raises ``ProtocolError``."""
    if stream is not None and STREAM_PATTERN.fullmatch(stream) is None:
        raise ProtocolError(
            ErrorCode.INVALID_EVENT,
            "client_stream must be 1-64 letters, digits or _ . : -",
        )
    return stream


def seq_of(raw: str | bytes) -> int | None:
    """The ``seq`` of a client event that failed to decode, if it has a usable one."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    seq = data.get("seq") if isinstance(data, dict) else None
    if isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq <= MAX_CLIENT_SEQ:
        return seq
    return None


class ClientAcks:
    """The last client ``seq`` applied in the session's current client stream."""

    def __init__(self, *, stream: str | None = None, applied: int = 0) -> None:
        self.stream = stream
        self.applied = applied

    def state(self) -> tuple[str | None, int]:
        """``(stream, applied)``: what to file so a restarted server carries on."""
        return self.stream, self.applied

    def connect(self, stream: str | None) -> int:
        """A connection opens for ``stream``; the last ``seq`` of it applied (0 for a new one)."""
        if stream is None:
            stream = "anon_" + secrets.token_hex(8)
        if stream != self.stream:
            self.stream, self.applied = stream, 0
        return self.applied

    def accept(self, seq: int | None) -> bool:
        """Whether to apply an event numbered ``seq`` (False: applied before, skip it).

        Accepting moves the watermark first, so an event whose handling fails is not
        applied a second time either. Raises ``ProtocolError`` for a ``seq`` out of range.
        """
        if seq is None:
            return True
        if not 1 <= seq <= MAX_CLIENT_SEQ:
            raise ProtocolError(
                ErrorCode.INVALID_EVENT, f"seq must be an integer in 1..{MAX_CLIENT_SEQ}"
            )
        if seq <= self.applied:
            return False
        self.applied = seq
        return True

    def settle(self, seq: int | None) -> bool:
        """An event numbered ``seq`` was refused (invalid): count it as handled, so the
        client stops sending it. True when the watermark moved."""
        if seq is None or seq <= self.applied:
            return False
        self.applied = seq
        return True
