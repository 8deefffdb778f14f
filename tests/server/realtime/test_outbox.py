"""Numbering, filing and sending: the outbox over a real SQLite file and a recording socket."""

from __future__ import annotations

import asyncio

import pytest

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import ErrorCode, ProtocolError
from nur_notebook.protocol.events import decode_server_event
from nur_notebook.protocol.frames import FrameKind, decode_frame
from nur_notebook.server.realtime.connection import Connection
from nur_notebook.server.realtime.outbox import Outbox
from nur_notebook.server.realtime.transcripts import TranscriptStore


class RecordingSocket:
    """The far end of a connection: keeps what it is sent and how it was closed."""

    def __init__(self) -> None:
        self.sent: list[str | bytes] = []
        self.closed_with: int | None = None

    async def send_text(self, data: str) -> None:
        self.sent.append(data)

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code

    def events(self) -> list[object]:
        return [decode_server_event(m) for m in self.sent if isinstance(m, str)]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_events_are_numbered_and_filed_even_with_nobody_connected(
    transcripts: TranscriptStore,
) -> None:
    outbox = Outbox("ses_1", store=transcripts)
    await outbox.emit(ev.TranscriptUserFinal(turn=1, text="hello"))
    await outbox.send_audio(b"\x00\x00" * 10, 1, False)  # dropped: nobody listens
    assert outbox.log.last_seq == 1
    assert transcripts.transcript("ses_1")["entries"][0]["text"] == "hello"


async def test_resume_replays_what_was_missed_and_a_new_connection_replaces_the_old(
    transcripts: TranscriptStore,
) -> None:
    outbox = Outbox("ses_1", store=transcripts)
    first_socket = RecordingSocket()
    first = Connection(first_socket)
    outbox.connect(first, last_seq=None, token=None)
    await outbox.emit(ev.SessionCreated(session={}, resume_token=outbox.log.resume_token))
    await outbox.emit(ev.TranscriptUserFinal(turn=1, text="one"))
    await outbox.send_audio(b"\x01\x00" * 4, 3, True)
    await settle()
    outbox.disconnect(first)
    await outbox.emit(ev.TranscriptAgentDelta(response_id="rsp_1", turn=1, text="Hi"))
    await outbox.emit(ev.Pong())

    with pytest.raises(ProtocolError) as wrong:
        outbox.connect(Connection(RecordingSocket()), last_seq=2, token="rsm_nope")
    assert wrong.value.close_code == 4011
    assert outbox.conn is None

    second_socket = RecordingSocket()
    replayed = outbox.connect(Connection(second_socket), last_seq=2, token=outbox.log.resume_token)
    assert [e.seq for e in replayed] == [3]  # the pong is not replayed
    await settle()
    assert [e.type for e in second_socket.events()] == ["transcript.agent.delta"]

    frame = decode_frame(
        next(m for m in first_socket.sent if isinstance(m, bytes)), expect=FrameKind.OUTPUT
    )
    assert (frame.generation, frame.last, frame.seq) == (3, True, 0)

    third_socket = RecordingSocket()
    outbox.connect(Connection(third_socket), last_seq=None, token=None)
    await settle()
    assert second_socket.closed_with == 4009


async def test_a_fatal_error_is_sent_then_the_socket_closes(transcripts: TranscriptStore) -> None:
    outbox = Outbox("ses_1", store=transcripts)
    socket = RecordingSocket()
    outbox.connect(Connection(socket), last_seq=None, token=None)
    await outbox.error(ProtocolError(ErrorCode.INVALID_JSON, "bad", event_id="e1"))
    await outbox.error(ProtocolError(ErrorCode.RATE_LIMITED, "flood", close_code=4008))
    await settle()
    errors = socket.events()
    assert [(e.code, e.fatal, e.event_id) for e in errors] == [
        ("invalid_json", False, "e1"),
        ("rate_limited", True, None),
    ]
    assert socket.closed_with == 4008
