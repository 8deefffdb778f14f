"""PCM helpers for the headless tools: WAV in and out, and a pure numpy resampler.

``resample`` is a windowed-sinc interpolator: each output sample is a Hann-windowed sinc
sum over the input samples around its position, with the cut-off lowered to the output's
Nyquist frequency when downsampling (so 44.1 kHz speech does not alias into 16 kHz).

    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(22_050) / 22_050).astype(np.float32)
    >>> resample(tone, 22_050, 16_000).shape
    (16000,)
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]

#: Zero crossings of the sinc kernel on each side, at the lower of the two rates.
KERNEL_HALF_WIDTH = 16
#: Output positions handled per numpy pass (bounds memory on long files).
_BLOCK = 16_384


def resample(samples: Samples, src_rate: int, dst_rate: int) -> Samples:
    """Mono float samples at ``src_rate`` Hz resampled to ``dst_rate`` Hz."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} and {dst_rate}")
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


def pcm16_to_float(pcm: bytes) -> Samples:
    """PCM16 LE bytes as floats in [-1, 1)."""
    usable = len(pcm) - len(pcm) % 2
    return (np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32)) / 32768.0


def float_to_pcm16(samples: Samples) -> bytes:
    """Floats (clipped to [-1, 1]) as PCM16 LE bytes."""
    scaled = np.round(np.asarray(samples, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def read_wav(source: str | Path | bytes) -> tuple[Samples, int]:
    """A PCM WAV (a file's path, or its bytes) as mono float samples and its sample rate
    (channels are averaged)."""
    path = "WAV data" if isinstance(source, bytes) else source
    try:
        with wave.open(
            io.BytesIO(source) if isinstance(source, bytes) else str(source), "rb"
        ) as wav:
            rate = wav.getframerate()
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path}: not a PCM WAV file this reader understands ({exc})") from None
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(
            np.float32
        )
    else:
        raise ValueError(f"{path}: {8 * width}-bit samples are not supported")
    if channels > 1:
        data = data[: data.size - data.size % channels].reshape(-1, channels).mean(axis=1)
    return data.astype(np.float32), rate


def wav_to_pcm16(path: str | Path, *, rate: int = 16_000) -> bytes:
    """A WAV file as mono PCM16 LE at ``rate`` Hz, ready for ``send_audio``."""
    samples, src_rate = read_wav(path)
    return float_to_pcm16(resample(samples, src_rate, rate))


def write_wav(path: str | Path, pcm: bytes, *, sample_rate: int) -> None:
    """Write mono PCM16 LE bytes as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm[: len(pcm) - len(pcm) % 2])
    Path(path).write_bytes(buffer.getvalue())
