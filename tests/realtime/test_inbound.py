from __future__ import annotations

import json
from typing import Any

from nur_notebook.protocol.events import (
    Error,
    ResponseStarted,
    SessionCreated,
    TranscriptAgentDelta,
    encode_event,
)
from nur_notebook.protocol.frames import AudioFrame, FrameKind, encode_frame
from nur_notebook.realtime.events import ConnectionResumed, ResponseAudio
from nur_notebook.realtime.inbound import Inbound


def _created(seq: int, *, rate: int = 22_050) -> str:
    session: dict[str, Any] = {"id": "ses_1", "output_audio": {"sample_rate": rate}}
    return encode_event(SessionCreated(session=session, resume_token="rsm_abc", seq=seq))


def _audio(generation: int, *, last: bool = False) -> bytes:
    frame = AudioFrame(
        kind=FrameKind.OUTPUT, pcm=b"\x01\x00" * 10, generation=generation, last=last
    )
    return encode_frame(frame)


def test_events_are_delivered_once_in_order_across_a_replay() -> None:
    inbound = Inbound()
    live = [
        encode_event(TranscriptAgentDelta(response_id="rsp_1", turn=1, text=t, seq=n))
        for n, t in ((1, "a"), (2, "b"), (3, "c"))
    ]
    got = [e for frame in live[:2] for e in inbound.text(frame)]
    # The socket drops; the server replays from seq 1 (overlapping what was seen).
    got += [e for frame in live[1:] for e in inbound.text(frame)]
    assert [e.text for e in got if isinstance(e, TranscriptAgentDelta)] == ["a", "b", "c"]
    assert inbound.last_seq == 3


def test_session_created_gives_the_token_and_output_rate() -> None:
    inbound = Inbound()
    (event,) = inbound.text(_created(1, rate=22_050))
    assert isinstance(event, SessionCreated)
    assert inbound.resume_token == "rsm_abc"
    (audio,) = inbound.binary(_audio(0))
    assert isinstance(audio, ResponseAudio)
    assert audio.sample_rate == 22_050
    assert audio.pcm == b"\x01\x00" * 10
    assert audio.duration_ms == 10 / 22_050 * 1000


def test_session_resumed_is_shown_as_connection_resumed() -> None:
    inbound = Inbound(last_seq=4, resume_token="rsm_x")
    frame = json.dumps({"type": "session.resumed", "last_seq": 4, "replayed": 3, "seq": 8})
    assert inbound.text(frame) == [ConnectionResumed(replayed=3, last_seq=4, seq=8)]


def test_audio_of_an_older_generation_is_dropped_after_a_newer_response_starts() -> None:
    inbound = Inbound()
    inbound.text(encode_event(ResponseStarted(response_id="rsp_2", turn=2, generation=2, seq=1)))
    assert inbound.binary(_audio(1)) == []
    assert [e.generation for e in inbound.binary(_audio(2)) if isinstance(e, ResponseAudio)] == [2]
    # Generations wrap at 2**16: 1 comes after 65535.
    inbound.text(encode_event(ResponseStarted(response_id="rsp_3", turn=3, generation=1, seq=2)))
    assert inbound.binary(_audio(0xFFFF)) == []
    assert len(inbound.binary(_audio(1, last=True))) == 1
    assert inbound.dropped_audio_frames == 2


def test_bad_frames_from_the_server_become_error_events_not_exceptions() -> None:
    inbound = Inbound()
    (bad_json,) = inbound.text("{nope")
    assert isinstance(bad_json, Error)
    assert bad_json.code == "invalid_json"
    (bad_field,) = inbound.text('{"type": "transcript.user.final", "turn": "x", "text": "hi"}')
    assert isinstance(bad_field, Error)
    assert "turn" in bad_field.message
    (bad_audio,) = inbound.binary(b"\x02\x00")
    assert isinstance(bad_audio, Error)
    assert bad_audio.code == "invalid_audio_frame"
    (unknown,) = inbound.text('{"type": "future.event", "seq": 5, "x": 1}')
    assert unknown.type == "future.event"


def test_session_ended_is_remembered() -> None:
    inbound = Inbound()
    inbound.text('{"type": "session.ended", "reason": "max_turns", "seq": 1}')
    assert inbound.ended


def test_an_unknown_event_with_a_bad_seq_is_reported_not_raised() -> None:
    inbound = Inbound()
    (event,) = inbound.text('{"type": "future.event", "seq": "7"}')
    assert isinstance(event, Error)
    assert "seq" in event.message
    assert inbound.last_seq == 0
