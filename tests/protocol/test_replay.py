from __future__ import annotations

import pytest

from nur_notebook.protocol import CloseCode, ProtocolError, ReplayLog, SeqTracker
from nur_notebook.protocol.events import Pong, SessionCreated, TranscriptUserFinal


def test_stamp_numbers_every_event_but_keeps_only_replayable() -> None:
    log = ReplayLog()
    created = log.stamp(SessionCreated(session={}, resume_token=log.resume_token))
    pong = log.stamp(Pong())
    final = log.stamp(TranscriptUserFinal(turn=1, text="hello"))
    assert (created.seq, pong.seq, final.seq) == (1, 2, 3)
    assert log.since(0) == [final]
    assert log.since(3) == []


def test_resume_outside_range_is_rejected() -> None:
    log = ReplayLog()
    log.stamp(TranscriptUserFinal(turn=1, text="a"))
    with pytest.raises(ProtocolError) as info:
        log.since(5)
    assert info.value.close_code == CloseCode.RESUME_REJECTED


def test_resume_before_the_kept_window_is_rejected() -> None:
    log = ReplayLog(capacity=2)
    for i in range(4):
        log.stamp(TranscriptUserFinal(turn=i, text=str(i)))
    assert [e.seq for e in log.since(2)] == [3, 4]
    with pytest.raises(ProtocolError):
        log.since(1)


def test_token_check() -> None:
    log = ReplayLog()
    log.check_token(log.resume_token)
    with pytest.raises(ProtocolError):
        log.check_token("rsm_wrong")
    with pytest.raises(ProtocolError):
        log.check_token(None)


def test_seq_tracker_drops_duplicates_after_replay() -> None:
    tracker = SeqTracker()
    assert [tracker.accept(s) for s in (1, 2, 3, 2, 3, 4, 0)] == [
        True,
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    assert tracker.last_seq == 4
