"""PCM audio as the session speaks it: conversions, resampling, framing, a recording as a turn.

User audio travels as 16 kHz mono PCM16 LE (:data:`INPUT_RATE`) in frames of
:data:`FRAME_SAMPLES` samples (32 ms, one Silero VAD window). A recording sent as a user
turn is those frames followed by :data:`TRAILING_SILENCE_MS` of silence, so the server's
voice activity detection hears the turn end (its default silence is 600 ms). The widget's
``js/pcm.js`` uses the same constants (a test compares them).

Two resamplers, for two jobs:

- :func:`resample` is a windowed-sinc interpolator for whole recordings: each output
  sample is a Hann-windowed sinc sum over the input samples around its position, with the
  cut-off lowered to the output's Nyquist frequency when downsampling (so 44.1 kHz speech
  does not alias into 16 kHz).
- :func:`resample_linear` interpolates linearly, for audio resampled piece by piece (agent
  speech on its way out, a recording's pieces): it rings at no piece edge, so joined
  pieces stay click-free. Int16 audio comes back as int16 (rounded, clipped).

    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(22_050) / 22_050).astype(np.float32)
    >>> resample(tone, src_rate=22_050, dst_rate=16_000).shape
    (16000,)
    >>> len(recording_as_turn(bytes(FRAME_BYTES)))  # one frame, then 1.2 s of silence
    39
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
"""Mono float samples in [-1, 1]."""
Int16Audio = npt.NDArray[np.int16]
"""Mono PCM16 samples."""

#: Sample rate of user audio, Hz.
INPUT_RATE = 16_000
#: Samples per input frame: 32 ms at 16 kHz, one Silero VAD window.
FRAME_SAMPLES = 512
#: Milliseconds per input frame.
FRAME_MS = FRAME_SAMPLES * 1000 // INPUT_RATE
#: Bytes per input frame (PCM16).
FRAME_BYTES = FRAME_SAMPLES * 2
#: Silence sent after a recording so the server's VAD ends the turn.
TRAILING_SILENCE_MS = 1_200

#: Zero crossings of the sinc kernel on each side, at the lower of the two rates.
KERNEL_HALF_WIDTH = 16
#: Output positions handled per numpy pass (bounds memory on long files).
_BLOCK = 16_384

_Audio = TypeVar("_Audio", Samples, Int16Audio)


def pcm16_to_float(pcm: bytes) -> Samples:
    """PCM16 LE bytes as floats in [-1, 1) (a trailing half sample is ignored)."""
    usable = len(pcm) - len(pcm) % 2
    return np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: npt.ArrayLike) -> bytes:
    """Floats (clipped to [-1, 1]) as PCM16 LE bytes."""
    scaled = np.round(np.asarray(samples, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def _check_rates(src_rate: int, dst_rate: int) -> None:
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} and {dst_rate}")


def resample(samples: npt.ArrayLike, *, src_rate: int, dst_rate: int) -> Samples:
    """Mono float samples at ``src_rate`` Hz resampled to ``dst_rate`` Hz (windowed sinc)."""
    _check_rates(src_rate, dst_rate)
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"resample takes mono samples (1-D), got shape {x.shape}")
    if src_rate == dst_rate or x.size == 0:
        return x.astype(np.float32)
    n_out = round(x.size * dst_rate / src_rate)
    cutoff = min(1.0, dst_rate / src_rate)  # as a fraction of the input's Nyquist
    half = int(np.ceil(KERNEL_HALF_WIDTH / cutoff))
    padded = np.concatenate([np.zeros(half), x, np.zeros(half + 1)])
    taps = np.arange(-half + 1, half + 1)
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _BLOCK):
        positions = np.arange(start, min(start + _BLOCK, n_out)) * (src_rate / dst_rate)
        base = np.floor(positions).astype(np.int64)
        offsets = taps[None, :] - (positions - base)[:, None]  # input index - position
        kernel = cutoff * np.sinc(cutoff * offsets)
        kernel *= 0.5 + 0.5 * np.cos(np.pi * offsets / (half + 1))  # Hann window
        window = padded[(base + half)[:, None] + taps[None, :]]
        out[start : start + positions.size] = np.sum(window * kernel, axis=1)
    return out.astype(np.float32)


def resample_linear(samples: _Audio, *, src_rate: int, dst_rate: int) -> _Audio:
    """Mono audio at ``src_rate`` converted to ``dst_rate`` by linear interpolation.

    Int16 in, int16 out (rounded and clipped); float in, float32 out. At equal rates the
    input comes back as it is.
    """
    _check_rates(src_rate, dst_rate)
    integer = np.issubdtype(samples.dtype, np.integer)
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.int16 if integer else np.float32, copy=False)
    count = max(1, round(samples.size * dst_rate / src_rate))
    positions = np.arange(count, dtype=np.float64) * (src_rate / dst_rate)
    out = np.interp(positions, np.arange(samples.size, dtype=np.float64), samples)
    if integer:
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
    return out.astype(np.float32)


def split_frames(pcm: bytes, *, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """``pcm`` cut into frames of ``frame_bytes`` (the last one zero-padded)."""
    if frame_bytes <= 0 or frame_bytes % 2:
        raise ValueError(f"frame_bytes must be a positive even number, got {frame_bytes}")
    frames = [pcm[start : start + frame_bytes] for start in range(0, len(pcm), frame_bytes)]
    if frames and len(frames[-1]) < frame_bytes:
        frames[-1] = frames[-1].ljust(frame_bytes, b"\x00")
    return frames


def silence_frames(ms: int = TRAILING_SILENCE_MS) -> list[bytes]:
    """Enough silent input frames to cover ``ms`` milliseconds."""
    return [bytes(FRAME_BYTES)] * math.ceil(ms / FRAME_MS)


def recording_as_turn(pcm: bytes) -> list[bytes]:
    """A recording (16 kHz mono PCM16) as the input frames of one user turn: its frames,
    then :data:`TRAILING_SILENCE_MS` of silence so the server's VAD ends the turn."""
    return split_frames(pcm) + silence_frames()


__all__ = [
    "FRAME_BYTES",
    "FRAME_MS",
    "FRAME_SAMPLES",
    "INPUT_RATE",
    "TRAILING_SILENCE_MS",
    "Int16Audio",
    "Samples",
    "float_to_pcm16",
    "pcm16_to_float",
    "recording_as_turn",
    "resample",
    "resample_linear",
    "silence_frames",
    "split_frames",
]
