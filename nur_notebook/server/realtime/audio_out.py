"""Agent audio on its way out: resampling and real-time pacing with played tracking.

The runtime sends audio a little ahead of real time (``lead_s``) so the client never
starves, yet the server always knows how much the user has actually heard: that is
what barge-in keeps in the agent's transcript.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Int16Audio = npt.NDArray[np.int16]


def resample(pcm: Int16Audio, *, src_rate: int, dst_rate: int) -> Int16Audio:
    """Mono int16 audio at ``src_rate`` converted to ``dst_rate`` (linear interpolation)."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError("sample rates must be positive")
    if src_rate == dst_rate or pcm.size == 0:
        return pcm.astype(np.int16, copy=False)
    n_out = max(1, round(pcm.size * dst_rate / src_rate))
    positions = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    out = np.interp(positions, np.arange(pcm.size, dtype=np.float64), pcm.astype(np.float64))
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def pcm16_to_float(pcm: bytes) -> npt.NDArray[np.float32]:
    """PCM16 LE bytes as float32 in [-1, 1]."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


@dataclass
class SpokenSegment:
    """One synthesized sentence placed on the output timeline."""

    text: str
    start_s: float
    duration_s: float


class PlayoutClock:
    """The output timeline of one response: what was sent, what has been heard.

    ``schedule`` says how long to wait before sending the next chunk so the sender
    stays at most ``lead_s`` ahead of real time.
    """

    def __init__(
        self, *, lead_s: float = 0.25, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lead_s = lead_s
        self._clock = clock
        self._started: float | None = None
        self.sent_s = 0.0
        self.segments: list[SpokenSegment] = []

    def add_segment(self, text: str, duration_s: float) -> None:
        """Place the next sentence right after the audio already queued."""
        start = sum(seg.duration_s for seg in self.segments)
        self.segments.append(SpokenSegment(text=text, start_s=start, duration_s=duration_s))

    def delay_before(self, chunk_s: float) -> float:
        """Seconds to wait before sending a chunk of ``chunk_s`` seconds."""
        now = self._clock()
        if self._started is None:
            self._started = now
            # Starts the timeline; the wall-clock gap before the first chunk is not audio.
        elapsed = now - self._started
        return max(0.0, self.sent_s + chunk_s - self.lead_s - elapsed)

    def sent(self, chunk_s: float) -> None:
        if self._started is None:
            self._started = self._clock()
        self.sent_s += chunk_s

    def played_s(self) -> float:
        """Seconds of this response's audio the listener has heard by now."""
        if self._started is None:
            return 0.0
        return min(self.sent_s, self._clock() - self._started)

    def played_text(self) -> str:
        """The text heard so far: whole sentences, plus the heard share of the current one."""
        played = self.played_s()
        parts: list[str] = []
        for seg in self.segments:
            if played >= seg.start_s + seg.duration_s - 1e-6:
                parts.append(seg.text)
                continue
            if played > seg.start_s and seg.duration_s > 0:
                words = seg.text.split()
                share = (played - seg.start_s) / seg.duration_s
                heard = words[: int(len(words) * share)]
                if heard:
                    parts.append(" ".join(heard) + "...")
            break
        return " ".join(parts)
