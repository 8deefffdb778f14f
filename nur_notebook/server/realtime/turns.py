"""Turn detection: a pure state machine over per-frame VAD speech probabilities.

The session runtime feeds one probability per VAD frame (Silero: 32 ms). Speech
starts after ``min_speech_ms`` of consecutive frames at or above ``threshold``; it
stops after ``silence_ms`` of frames below ``threshold - hysteresis``. With ``pause_ms``
set (shorter than ``silence_ms``), that much silence first gives a tentative
``speech_paused`` (work on the turn may start), and speech before the stop gives
``speech_resumed`` (that work is void: the turn goes on). The detector
knows nothing about audio or clocks: it counts frames, so it is tested without
sound cards or sockets.

Example:
    >>> detector = TurnDetector(TurnConfig(frame_ms=32, min_speech_ms=64, silence_ms=96))
    >>> [detector.feed(p) for p in (0.9, 0.9, 0.1, 0.1, 0.1)]
    [None, 'speech_started', None, None, 'speech_stopped']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

TurnEvent = Literal["speech_started", "speech_paused", "speech_resumed", "speech_stopped"]


@dataclass(frozen=True)
class TurnConfig:
    """When a run of frames counts as speech, and how much silence ends a turn."""

    threshold: float = 0.5
    hysteresis: float = 0.15
    min_speech_ms: float = 96.0
    silence_ms: float = 500.0
    frame_ms: float = 32.0
    #: Silence that tentatively ends a turn (0: never; at least ``silence_ms``: never).
    pause_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.frame_ms <= 0 or self.silence_ms < 0 or self.min_speech_ms < 0:
            raise ValueError("frame_ms must be positive; silence_ms and min_speech_ms >= 0")

    @property
    def start_frames(self) -> int:
        return max(1, math.ceil(self.min_speech_ms / self.frame_ms))

    @property
    def stop_frames(self) -> int:
        return max(1, math.ceil(self.silence_ms / self.frame_ms))

    @property
    def pause_frames(self) -> int | None:
        """Quiet frames of a tentative stop (None: no tentative stops)."""
        frames = math.ceil(self.pause_ms / self.frame_ms)
        return frames if 0 < frames < self.stop_frames else None


class TurnDetector:
    """Tracks whether the user is speaking; emits an event on each transition."""

    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self._speaking = False
        self._run = 0  # consecutive frames pointing at the other state
        self._frames = 0
        self._last_voiced = -1
        self._paused = False

    @property
    def speaking(self) -> bool:
        """True between ``speech_started`` and ``speech_stopped``."""
        return self._speaking

    @property
    def last_voiced_frame(self) -> int:
        """Index of the last frame at or above the threshold (-1 before any)."""
        return self._last_voiced

    def feed(self, probability: float) -> TurnEvent | None:
        """Advance one frame; returns the transition this frame completes, if any."""
        if not 0.0 <= probability <= 1.0 or math.isnan(probability):
            raise ValueError(f"speech probability must be in [0, 1], got {probability}")
        index = self._frames
        self._frames += 1
        cfg = self.config
        voiced = probability >= cfg.threshold
        if voiced:
            self._last_voiced = index
        if not self._speaking:
            self._run = self._run + 1 if voiced else 0
            if self._run >= cfg.start_frames:
                self._speaking, self._run = True, 0
                return "speech_started"
            return None
        quiet = probability < cfg.threshold - cfg.hysteresis
        self._run = self._run + 1 if quiet else 0
        if self._run >= cfg.stop_frames:
            self._speaking, self._run, self._paused = False, 0, False
            return "speech_stopped"
        if self._paused and not quiet:
            self._paused = False
            return "speech_resumed"
        if not self._paused and self._run == cfg.pause_frames:
            self._paused = True
            return "speech_paused"
        return None

    def reset(self) -> None:
        """Back to silence (after push-to-talk commit or clear)."""
        self._speaking = False
        self._run = 0
        self._paused = False
