"""Audio helpers of the notebook kit: read what ``conv.play`` is given, record both sides.

- :func:`to_pcm16_16k` turns a WAV path, WAV bytes or a NumPy array into the session's
  input format (16 kHz mono PCM16 LE).
- :class:`Recorder` keeps the user audio sent and the agent audio received with the
  time each piece arrived, and writes them as one stereo WAV (left: user, right: agent)
  on a shared timeline, so ``save_audio`` sounds like the conversation did.
"""

from __future__ import annotations

import io
import threading
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nur_notebook.protocol.pcm import (
    INPUT_RATE,
    float_to_pcm16,
    pcm16_to_float,
    resample,
    resample_linear,
)
from nur_notebook.realtime.audio import read_wav

#: Rate the recorder keeps the agent's side at.
AGENT_RATE = 24_000


def to_pcm16_16k(source: str | Path | bytes | npt.ArrayLike, *, sample_rate: int) -> bytes:
    """``source`` (WAV path, WAV bytes or an array at ``sample_rate``) as 16 kHz PCM16.

    A WAV is read by the session client's reader (8/16/24/32-bit). Integer arrays are
    taken as PCM16 samples; float arrays as [-1, 1]; a 2-D array is
    mixed down to mono (channels on the shorter axis).
    """
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no audio file at {path}")
        audio, rate = read_wav(path.read_bytes())
    elif isinstance(source, bytes | bytearray | memoryview):
        audio, rate = read_wav(bytes(source))
    else:
        audio, rate = _array_audio(np.asarray(source)), sample_rate
    if rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {rate}")
    return float_to_pcm16(resample(audio, src_rate=rate, dst_rate=INPUT_RATE))


def _array_audio(array: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    if array.ndim == 2:
        array = array.mean(axis=0 if array.shape[0] < array.shape[1] else 1)
    elif array.ndim != 1:
        raise ValueError(f"audio must be 1-D (mono) or 2-D (channels), got {array.ndim}-D")
    if np.issubdtype(array.dtype, np.integer):
        return (array.astype(np.float32) / 32768.0).astype(np.float32)
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(np.float32)
    raise ValueError(f"audio samples must be numbers, got {array.dtype}")


@dataclass
class _Track:
    rate: int
    pieces: list[tuple[float, bytes]] = field(default_factory=list)


class Recorder:
    """Both sides of a conversation, with arrival times; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: float | None = None
        self._user = _Track(INPUT_RATE)
        self._agent = _Track(AGENT_RATE)

    def add_user(self, pcm: bytes, *, at: float) -> None:
        """User audio (16 kHz PCM16) sent at time ``at`` (seconds, any clock)."""
        self._add(self._user, pcm, at=at, rate=INPUT_RATE)

    def add_agent(self, pcm: bytes, *, sample_rate: int, at: float) -> None:
        """Agent audio received at time ``at``."""
        self._add(self._agent, pcm, at=at, rate=sample_rate)

    def _add(self, track: _Track, pcm: bytes, *, at: float, rate: int) -> None:
        if not pcm:
            return
        with self._lock:
            if self._start is None:
                self._start = at
            if rate != track.rate:
                pcm = float_to_pcm16(
                    resample_linear(pcm16_to_float(pcm), src_rate=rate, dst_rate=track.rate)
                )
            track.pieces.append((at - self._start, bytes(pcm)))

    @property
    def seconds(self) -> tuple[float, float]:
        """Seconds of user audio and of agent audio recorded."""
        with self._lock:
            return tuple(  # type: ignore[return-value]
                sum(len(p) for _, p in track.pieces) / 2 / track.rate
                for track in (self._user, self._agent)
            )

    def to_wav(self, *, sample_rate: int = AGENT_RATE) -> bytes:
        """A stereo PCM16 WAV: left the user, right the agent, each piece placed at its
        arrival time (or right after the previous piece of its side, if later)."""
        with self._lock:
            left = _lay_out(self._user, sample_rate)
            right = _lay_out(self._agent, sample_rate)
        length = max(left.size, right.size)
        stereo = np.zeros((length, 2), dtype=np.float32)
        stereo[: left.size, 0] = left
        stereo[: right.size, 1] = right
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(float_to_pcm16(stereo.reshape(-1)))
        return out.getvalue()


def _lay_out(track: _Track, rate: int) -> npt.NDArray[np.float32]:
    placed: list[tuple[int, npt.NDArray[np.float32]]] = []
    cursor = 0
    for offset, pcm in track.pieces:
        audio = resample_linear(pcm16_to_float(pcm), src_rate=track.rate, dst_rate=rate)
        start = max(cursor, round(offset * rate))
        placed.append((start, audio))
        cursor = start + audio.size
    out = np.zeros(cursor, dtype=np.float32)
    for start, audio in placed:
        out[start : start + audio.size] = audio
    return out
