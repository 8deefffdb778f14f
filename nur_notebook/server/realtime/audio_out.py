"""Agent audio on its way out: real-time pacing with played tracking.

The runtime sends audio a little ahead of real time (``lead_s``) so the client never
starves, yet the server always knows how much the user has actually heard: that is
what barge-in keeps in the agent's transcript.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Agent audio is resampled piece by piece, so linearly (no ringing at the piece edges); the
# resampler lives in protocol.pcm and keeps its old name here for the responder.
from nur_notebook.protocol.pcm import resample_linear as resample


@dataclass
class SpokenSegment:
    """One synthesized sentence placed on the output timeline."""

    text: str
    start_s: float
    duration_s: float


class PlayoutClock:
    """The output timeline of one response: what was sent, what has been heard.

    ``delay_before`` says how long to wait before sending the next chunk so the sender
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


__all__ = ["PlayoutClock", "SpokenSegment", "resample"]
