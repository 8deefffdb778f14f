from __future__ import annotations

import random

import pytest

from nur_notebook.protocol.frames import FrameKind, decode_frame
from nur_notebook.realtime.framing import MAX_FRAME_BYTES, MIN_FRAME_BYTES, InputFramer


def _payloads(frames: list[bytes]) -> list[bytes]:
    return [decode_frame(f, expect=FrameKind.INPUT).pcm for f in frames]


def test_arbitrary_chunks_come_out_as_20_to_40_ms_frames_in_order_and_complete() -> None:
    rng = random.Random(3)
    stream = bytes(rng.randrange(256) for _ in range(50_001))  # odd length on purpose
    framer = InputFramer()
    frames: list[bytes] = []
    pos = 0
    while pos < len(stream):
        size = rng.choice([1, 3, 127, 640, 999, 4_000, 12_345])
        frames += framer.push(stream[pos : pos + size])
        pos += size
    streamed = _payloads(frames)
    assert all(MIN_FRAME_BYTES <= len(p) <= MAX_FRAME_BYTES for p in streamed)
    tail = _payloads(framer.flush())
    assert all(len(p) % 2 == 0 for p in streamed + tail)
    # Everything but the last half sample arrives, in order.
    assert b"".join(streamed + tail) == stream[:-1]
    seqs = [decode_frame(f, expect=FrameKind.INPUT).seq for f in frames]
    assert seqs == list(range(len(frames)))


def test_short_input_waits_for_more_and_flush_sends_it() -> None:
    framer = InputFramer()
    assert framer.push(b"\x01\x02" * 100) == []
    assert framer.pending == 200
    (frame,) = framer.flush()
    assert decode_frame(frame, expect=FrameKind.INPUT).pcm == b"\x01\x02" * 100
    assert framer.flush() == []


def test_reset_drops_the_buffer_and_restarts_numbering() -> None:
    framer = InputFramer()
    framer.push(b"\x00" * 1_000)
    framer.reset()
    assert framer.pending == 0
    (frame,) = framer.push(b"\x00" * 640)
    assert decode_frame(frame, expect=FrameKind.INPUT).seq == 0


def test_frame_numbers_wrap_at_two_to_the_32() -> None:
    framer = InputFramer()
    framer._seq = 0xFFFFFFFF
    first, second = framer.push(b"\x00" * 1_280 * 2)
    assert decode_frame(first, expect=FrameKind.INPUT).seq == 0xFFFFFFFF
    assert decode_frame(second, expect=FrameKind.INPUT).seq == 0


@pytest.mark.parametrize(("low", "high"), [(0, 640), (641, 1_280), (640, 641), (1_280, 640)])
def test_bad_frame_sizes_are_refused(low: int, high: int) -> None:
    with pytest.raises(ValueError, match="even"):
        InputFramer(min_bytes=low, max_bytes=high)
