"""WAV in and out for the headless tools (``nur-notebook talk``, tests, evals).

:func:`read_wav` understands 8/16/24/32-bit PCM WAV (channels are averaged);
:func:`wav_to_pcm16` turns a file into the session's input format with the windowed-sinc
resampler of :mod:`nur_notebook.protocol.pcm`.

    >>> import numpy as np
    >>> from nur_notebook.protocol.pcm import float_to_pcm16
    >>> write_wav("tone.wav", float_to_pcm16(np.zeros(160)), sample_rate=16_000)  # doctest: +SKIP
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from nur_notebook.protocol.pcm import INPUT_RATE, Samples, float_to_pcm16, resample


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


def wav_to_pcm16(path: str | Path, *, rate: int = INPUT_RATE) -> bytes:
    """A WAV file as mono PCM16 LE at ``rate`` Hz, ready for ``send_audio``."""
    samples, src_rate = read_wav(path)
    return float_to_pcm16(resample(samples, src_rate=src_rate, dst_rate=rate))


def wav_bytes(pcm: bytes, *, sample_rate: int) -> bytes:
    """Mono PCM16 LE bytes as a WAV file's bytes (a trailing half sample is dropped)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm[: len(pcm) - len(pcm) % 2])
    return buffer.getvalue()


def write_wav(path: str | Path, pcm: bytes, *, sample_rate: int) -> None:
    """Write mono PCM16 LE bytes as a WAV file."""
    Path(path).write_bytes(wav_bytes(pcm, sample_rate=sample_rate))
