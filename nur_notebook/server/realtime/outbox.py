"""Everything a session sends: numbered events (filed in SQLite) and output audio frames.

One ``Outbox`` per session runtime. It owns the replay log (sequence numbers, resume)
and the live connection, if any: with no connection, events are still numbered and
filed (a resuming client gets them) and audio is dropped (it would be stale).
"""

from __future__ import annotations

import logging
from typing import Any

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import CloseCode, ProtocolError
from nur_notebook.protocol.events import encode_event
from nur_notebook.protocol.frames import AudioFrame, FrameKind, encode_frame
from nur_notebook.protocol.replay import ReplayLog
from nur_notebook.server.realtime.connection import Connection
from nur_notebook.server.realtime.transcripts import TranscriptStore

log = logging.getLogger(__name__)


class Outbox:
    """Numbers, files and sends one session's server events and audio."""

    def __init__(self, session_id: str, *, store: TranscriptStore) -> None:
        self.session_id = session_id
        self._store = store
        self.log = ReplayLog()
        self.conn: Connection | None = None
        self._audio_seq = 0

    def restore(self, resume_token: str) -> list[Any]:
        """Carry on a session this server saw before a restart; its filed events."""
        self.log.resume_token = resume_token
        events = self._store.load_events(self.session_id)
        for event in events:
            self.log.restore(event)
        return events

    def connect(self, conn: Connection, *, last_seq: int | None, token: str | None) -> list[Any]:
        """Make ``conn`` the live connection; on resume, queue the events it missed.

        Raises ``ProtocolError`` (close code 4011) for a bad ``last_seq`` or token,
        before anything changes. The replaced connection is closed with 4009.
        """
        replay: list[Any] = []
        if last_seq is not None:
            self.log.check_token(token)
            replay = self.log.since(last_seq)
        old, self.conn = self.conn, conn
        if old is not None:
            old.close(CloseCode.REPLACED, "replaced by a newer connection")
        for event in replay:
            conn.send_text(encode_event(event))
        return replay

    def disconnect(self, conn: Connection) -> None:
        if self.conn is conn:
            self.conn = None

    async def emit(self, event: Any) -> None:
        """Number, file and send one server event."""
        stamped = self.log.stamp(event)
        try:
            self._store.record(self.session_id, stamped)
        except Exception:
            log.exception("could not store event %s", stamped.type)
        if self.conn is not None:
            self.conn.send_text(encode_event(stamped))

    async def send_audio(self, pcm: bytes, generation: int, last: bool) -> None:
        """One output audio frame (dropped when nobody is connected)."""
        frame = AudioFrame(
            kind=FrameKind.OUTPUT, pcm=pcm, seq=self._audio_seq, generation=generation, last=last
        )
        self._audio_seq += 1
        if self.conn is not None:
            self.conn.send_bytes(encode_frame(frame))

    async def error(self, exc: ProtocolError) -> None:
        """The ``error`` event for ``exc``; closes the connection when it says so."""
        await self.emit(
            ev.Error(
                code=exc.code,
                message=exc.message,
                fatal=exc.close_code is not None,
                event_id=exc.event_id,
            )
        )
        if exc.close_code is not None:
            self.close(exc.close_code, exc.message)

    def close(self, code: int, reason: str) -> None:
        if self.conn is not None:
            self.conn.close(code, reason)
