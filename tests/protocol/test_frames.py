from __future__ import annotations

import pytest

from nur_notebook.protocol import AudioFrame, ErrorCode, FrameKind, ProtocolError
from nur_notebook.protocol.frames import (
    HEADER_SIZE,
    MAX_INPUT_PAYLOAD,
    decode_frame,
    encode_frame,
    split_pcm,
)


def test_round_trip_with_flags_and_generation() -> None:
    frame = AudioFrame(
        kind=FrameKind.OUTPUT, pcm=b"\x01\x02" * 100, seq=99, generation=3, last=True
    )
    wire = encode_frame(frame)
    assert len(wire) == HEADER_SIZE + 200
    assert decode_frame(wire, expect=FrameKind.OUTPUT) == frame


def test_seq_wraps_at_32_bits() -> None:
    wire = encode_frame(AudioFrame(kind=FrameKind.INPUT, pcm=b"", seq=2**32 + 5))
    assert decode_frame(wire, expect=FrameKind.INPUT).seq == 5


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x01\x00", ErrorCode.INVALID_AUDIO_FRAME),  # shorter than the header
        (
            encode_frame(AudioFrame(kind=FrameKind.OUTPUT, pcm=b"\x00\x00")),
            ErrorCode.INVALID_AUDIO_FRAME,
        ),
        (
            encode_frame(AudioFrame(kind=FrameKind.INPUT, pcm=b"\x00\x00\x00")),
            ErrorCode.INVALID_AUDIO_FRAME,
        ),
        (b"\x01\x80" + b"\x00" * 6 + b"\x00\x00", ErrorCode.INVALID_AUDIO_FRAME),  # unknown flag
        (
            encode_frame(AudioFrame(kind=FrameKind.INPUT, pcm=b"\x00" * (MAX_INPUT_PAYLOAD + 2))),
            ErrorCode.AUDIO_FRAME_TOO_LARGE,
        ),
    ],
)
def test_bad_frames_are_rejected(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_frame(data, expect=FrameKind.INPUT)
    assert info.value.code == code


def test_split_pcm_keeps_samples_whole_and_order() -> None:
    pcm = bytes(range(256)) * 3
    chunks = split_pcm(pcm, max_bytes=101)
    assert all(len(c) % 2 == 0 for c in chunks)
    assert b"".join(chunks) == pcm
