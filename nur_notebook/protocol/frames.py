"""Binary audio frames: an 8-byte header followed by PCM16 little-endian mono samples.

    offset  size  field
    0       1     kind        1 = input audio (client to server), 2 = output (server to client)
    1       1     flags       bit 0: last frame of this response's audio
    2       2     generation  u16 LE: the response generation (0 for input audio)
    4       4     seq         u32 LE: frame counter per direction, wrapping at 2**32

Example:
    >>> frame = encode_frame(AudioFrame(kind=FrameKind.INPUT, seq=7, pcm=b"\\x00\\x00" * 320))
    >>> decode_frame(frame, expect=FrameKind.INPUT).seq
    7
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from nur_notebook.protocol.errors import ErrorCode, ProtocolError

HEADER = struct.Struct("<BBHI")
HEADER_SIZE = HEADER.size  # 8

#: Largest PCM payload of one input frame: 1 s at 16 kHz mono PCM16.
MAX_INPUT_PAYLOAD = 32_000
#: Largest PCM payload of one output frame the server sends: 200 ms at 48 kHz.
MAX_OUTPUT_PAYLOAD = 19_200

FLAG_LAST = 0x01


class FrameKind(IntEnum):
    INPUT = 1
    OUTPUT = 2


@dataclass(frozen=True)
class AudioFrame:
    """One binary frame: header fields plus the raw PCM16 LE payload."""

    kind: FrameKind
    pcm: bytes
    seq: int = 0
    generation: int = 0
    last: bool = False


def encode_frame(frame: AudioFrame) -> bytes:
    """The wire bytes of ``frame``."""
    flags = FLAG_LAST if frame.last else 0
    header = HEADER.pack(int(frame.kind), flags, frame.generation & 0xFFFF, frame.seq & 0xFFFFFFFF)
    return header + frame.pcm


def decode_frame(data: bytes, *, expect: FrameKind) -> AudioFrame:
    """Parse and validate a binary frame; raises ``ProtocolError`` on a bad one."""
    if len(data) < HEADER_SIZE:
        raise ProtocolError(
            ErrorCode.INVALID_AUDIO_FRAME,
            f"binary frame of {len(data)} bytes is shorter than the {HEADER_SIZE}-byte header",
        )
    kind, flags, generation, seq = HEADER.unpack_from(data)
    if kind != expect:
        raise ProtocolError(
            ErrorCode.INVALID_AUDIO_FRAME,
            f"frame kind {kind} is not accepted here (expected {int(expect)})",
        )
    payload = bytes(data[HEADER_SIZE:])
    limit = MAX_INPUT_PAYLOAD if expect is FrameKind.INPUT else MAX_OUTPUT_PAYLOAD
    if len(payload) > limit:
        raise ProtocolError(
            ErrorCode.AUDIO_FRAME_TOO_LARGE,
            f"audio payload of {len(payload)} bytes exceeds the {limit}-byte frame limit",
        )
    if len(payload) % 2:
        raise ProtocolError(
            ErrorCode.INVALID_AUDIO_FRAME,
            f"audio payload of {len(payload)} bytes is not whole PCM16 samples",
        )
    if flags & ~FLAG_LAST:
        raise ProtocolError(ErrorCode.INVALID_AUDIO_FRAME, f"unknown frame flags {flags:#04x}")
    return AudioFrame(
        kind=FrameKind(kind),
        pcm=payload,
        seq=seq,
        generation=generation,
        last=bool(flags & FLAG_LAST),
    )


def split_pcm(pcm: bytes, *, max_bytes: int) -> list[bytes]:
    """Cut PCM16 bytes into chunks of at most ``max_bytes`` (kept even), in order."""
    step = max_bytes - (max_bytes % 2)
    return [pcm[i : i + step] for i in range(0, len(pcm), step)] or [b""]
