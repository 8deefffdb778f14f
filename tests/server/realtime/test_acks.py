"""The at-most-once watermark of client events, without sockets."""

from __future__ import annotations

import pytest

from nur_notebook.protocol.errors import ProtocolError
from nur_notebook.server.realtime.acks import MAX_CLIENT_SEQ, ClientAcks, check_stream, seq_of


def test_each_seq_is_applied_once_and_resends_are_skipped() -> None:
    acks = ClientAcks()
    assert acks.connect("cs_a") == 0
    assert [acks.accept(seq) for seq in (1, 2, 3)] == [True, True, True]
    assert acks.connect("cs_a") == 3  # a reconnection of the same stream carries on
    assert [acks.accept(seq) for seq in (2, 3, 4)] == [False, False, True]
    assert acks.state() == ("cs_a", 4)


def test_unnumbered_events_are_always_applied() -> None:
    acks = ClientAcks(stream="cs_a", applied=9)
    assert acks.accept(None)
    assert acks.applied == 9


def test_another_stream_and_an_unnamed_connection_count_from_zero() -> None:
    acks = ClientAcks(stream="cs_a", applied=5)
    assert acks.connect("cs_b") == 0
    assert acks.accept(1)
    assert acks.connect(None) == 0
    assert acks.connect(None) == 0  # two unnamed connections are two streams
    assert acks.stream is not None
    assert acks.stream.startswith("anon_")


def test_state_survives_a_restart() -> None:
    before = ClientAcks()
    before.connect("cs_a")
    before.accept(1)
    before.accept(2)
    stream, applied = before.state()
    after = ClientAcks(stream=stream, applied=applied)
    assert after.connect("cs_a") == 2
    assert not after.accept(2)


@pytest.mark.parametrize("seq", [0, -1, MAX_CLIENT_SEQ + 1])
def test_a_seq_out_of_range_is_an_invalid_event_and_changes_nothing(seq: int) -> None:
    acks = ClientAcks(stream="cs_a", applied=3)
    with pytest.raises(ProtocolError) as caught:
        acks.accept(seq)
    assert caught.value.code == "invalid_event"
    assert acks.applied == 3


def test_a_refused_event_is_settled_so_the_client_stops_resending_it() -> None:
    acks = ClientAcks(stream="cs_a", applied=3)
    assert acks.settle(4)
    assert not acks.settle(4)
    assert not acks.settle(None)
    assert acks.applied == 4


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"type": "input.text", "seq": 7}', 7),
        ('{"type": "input.text", "seq": "7"}', None),
        ('{"seq": true}', None),
        ('{"seq": 0}', None),
        ("[7]", None),
        ("{not json", None),
        (b"\xff", None),
    ],
)
def test_seq_of_a_bad_event(raw: str | bytes, expected: int | None) -> None:
    assert seq_of(raw) == expected


@pytest.mark.parametrize("bad", ["", "x" * 65, "a b", "é", "a/b"])
def test_a_malformed_stream_name_is_refused(bad: str) -> None:
    with pytest.raises(ProtocolError):
        check_stream(bad)


def test_stream_names_the_client_makes_are_valid() -> None:
    from nur_notebook.realtime.pending import new_stream_id

    assert check_stream(new_stream_id()) is not None
    assert check_stream(None) is None
