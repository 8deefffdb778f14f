"""What the client makes of the server's frames, without sockets.

``Inbound`` turns text and binary frames into the events the iterator shows: it decodes
them with the protocol codec, drops events already seen (a resume replays from the last
``seq`` the client processed, and the server may overlap), remembers the resume token and
the output sample rate, renames ``session.resumed`` to ``connection.resumed``, and drops
output audio of a response that a newer one has replaced. ``ack`` events pass through:
the connection consumes them (``pending.py``).

    >>> inbound = Inbound()
    >>> [e.type for e in inbound.text('{"type": "pong", "seq": 1}')]
    ['pong']
    >>> inbound.text('{"type": "pong", "seq": 1}')   # a duplicate from a replay
    []
"""

from __future__ import annotations

from typing import Any

from nur_notebook.protocol.errors import ProtocolError
from nur_notebook.protocol.events import (
    Error,
    ResponseStarted,
    ServerEvent,
    SessionCreated,
    SessionEnded,
    SessionResumed,
    SessionUpdated,
    UnknownEvent,
    decode_server_event,
)
from nur_notebook.protocol.frames import FrameKind, decode_frame
from nur_notebook.protocol.replay import SeqTracker
from nur_notebook.realtime.events import ConnectionResumed, ResponseAudio

#: Output sample rate until the session says otherwise (docs/protocol.md).
DEFAULT_OUTPUT_RATE = 24_000

#: What the iterator yields: the server's events and the client's own.
InboundEvent = ServerEvent | UnknownEvent | ResponseAudio | ConnectionResumed


def _generation_is_older(generation: int, newest: int) -> bool:
    """True when u16 ``generation`` comes before ``newest`` (allowing for wrap-around)."""
    return 0 < (newest - generation) % 0x10000 < 0x8000


class Inbound:
    """Decodes server frames into events, in order, each once."""

    def __init__(self, *, last_seq: int = 0, resume_token: str | None = None) -> None:
        self._tracker = SeqTracker()
        self._tracker.last_seq = last_seq
        self.resume_token = resume_token
        self.sample_rate = DEFAULT_OUTPUT_RATE
        self.newest_generation: int | None = None
        self.ended = False
        self.dropped_audio_frames = 0

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last server event processed (0 before any)."""
        return self._tracker.last_seq

    def text(self, data: str | bytes) -> list[InboundEvent]:
        """Events from one text frame: none (a duplicate), or one."""
        try:
            event = decode_server_event(data)
        except ProtocolError as exc:
            # A server bug must not end the session: report it and go on.
            return [Error(code=str(exc.code), message=f"bad event from the server: {exc}")]
        if not self._tracker.accept(event.seq):
            return []
        match event:
            case SessionCreated(session=session, resume_token=token):
                self.resume_token = token
                self._read_rate(session)
            case SessionUpdated(session=session):
                self._read_rate(session)
            case SessionResumed(last_seq=last_seq, replayed=replayed, client_seq=acked, seq=seq):
                resumed = ConnectionResumed(
                    replayed=replayed, last_seq=last_seq, client_seq=acked, seq=seq
                )
                return [resumed]
            case ResponseStarted(generation=generation):
                self.newest_generation = generation
            case SessionEnded():
                self.ended = True
            case _:
                pass
        return [event]

    def binary(self, data: bytes) -> list[InboundEvent]:
        """The audio event of one binary frame; none for a stale or malformed frame."""
        try:
            frame = decode_frame(data, expect=FrameKind.OUTPUT)
        except ProtocolError as exc:
            self.dropped_audio_frames += 1
            return [Error(code=str(exc.code), message=f"bad audio frame from the server: {exc}")]
        newest = self.newest_generation
        if newest is not None and _generation_is_older(frame.generation, newest):
            self.dropped_audio_frames += 1
            return []
        return [
            ResponseAudio(
                pcm=frame.pcm,
                sample_rate=self.sample_rate,
                generation=frame.generation,
                last=frame.last,
                frame_seq=frame.seq,
            )
        ]

    def _read_rate(self, session: dict[str, Any]) -> None:
        output = session.get("output_audio")
        rate = output.get("sample_rate") if isinstance(output, dict) else None
        if isinstance(rate, int) and not isinstance(rate, bool) and rate > 0:
            self.sample_rate = rate
