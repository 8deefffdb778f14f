"""The user's audio: buffering, VAD frames, turn detection and cutting utterances.

``Listener.feed`` takes the PCM16 payload of one input frame and returns what happened
(speech started or stopped, with the utterance; with ``pause_ms`` also a tentative
pause, with the utterance so far, and the resumption that voids it; with ``ahead_ms``
the utterance so far after every ``ahead_ms`` of speech, for the brain to read ahead).
It runs the VAD inline: Silero needs about 0.2 ms per 32 ms frame, cheaper than a thread hop. Audio
before speech is kept for ``prefix_ms`` so the first syllable is not clipped.
"""

from __future__ import annotations

import time

import numpy as np

from nur_notebook.protocol.pcm import pcm16_to_float
from nur_notebook.protocol.settings import TurnDetection
from nur_notebook.server.pipeline.base import INPUT_SAMPLE_RATE, VAD, Float32Audio
from nur_notebook.server.realtime.machine_io import (
    SpeechPause,
    SpeechProgress,
    SpeechResume,
    SpeechStart,
    SpeechStop,
)
from nur_notebook.server.realtime.turns import TurnConfig, TurnDetector

#: Most audio one turn may hold (push-to-talk without a commit): 60 s.
MAX_TURN_SAMPLES = 60 * INPUT_SAMPLE_RATE


#: What ``feed`` reports: the session machine's speech inputs.
ListenerEvent = SpeechStart | SpeechPause | SpeechProgress | SpeechResume | SpeechStop


class Listener:
    """Per-session input audio state."""

    def __init__(
        self, vad: VAD, settings: TurnDetection, *, pause_ms: int = 0, ahead_ms: int = 0
    ) -> None:
        self._vad = vad
        self._step = vad.frame_samples
        self._pause_ms = pause_ms
        self._ahead_ms = ahead_ms
        self._next_ahead_ms = float(ahead_ms)
        self.configure(settings)
        self._chunks: list[Float32Audio] = []
        self._first = 0  # absolute sample index of the first buffered sample
        self._total = 0  # absolute sample index after the last buffered sample
        self._rest = np.zeros(0, dtype=np.float32)
        self._vad_pos = 0  # absolute sample index of the next VAD frame
        self._speech_start = 0
        self._last_voiced_at = time.monotonic()

    def configure(self, settings: TurnDetection) -> None:
        self.settings = settings
        frame_ms = self._step * 1000 / INPUT_SAMPLE_RATE
        self._detector = TurnDetector(
            TurnConfig(
                threshold=settings.threshold,
                silence_ms=settings.silence_ms,
                frame_ms=frame_ms,
                pause_ms=self._pause_ms if settings.mode == "server_vad" else 0,
            )
        )

    @property
    def speaking(self) -> bool:
        return self._detector.speaking

    def speech_ms(self) -> float:
        """How long the current speech has lasted (0 when silent)."""
        if not self._detector.speaking:
            return 0.0
        return (self._vad_pos - self._speech_start) * 1000 / INPUT_SAMPLE_RATE

    @property
    def buffered_samples(self) -> int:
        return self._total - self._first

    def feed(self, pcm: bytes) -> list[ListenerEvent]:
        samples = pcm16_to_float(pcm)
        self._chunks.append(samples)
        self._total += samples.size
        self._rest = np.concatenate([self._rest, samples]) if self._rest.size else samples
        events: list[ListenerEvent] = []
        while self._rest.size >= self._step:
            frame, self._rest = self._rest[: self._step], self._rest[self._step :]
            probability = min(1.0, max(0.0, self._vad.speech_probability(frame)))
            self._vad_pos += self._step
            if probability >= self.settings.threshold:
                self._last_voiced_at = time.monotonic()
            match self._detector.feed(probability):
                case "speech_started":
                    frames = self._detector.config.start_frames
                    self._speech_start = self._vad_pos - frames * self._step
                    self._next_ahead_ms = float(self._ahead_ms)
                    events.append(SpeechStart(audio_ms=self._ms(self._speech_start)))
                case "speech_paused":
                    start = max(self._first, self._speech_start - self._prefix_samples())
                    events.append(SpeechPause(self._since(start), self._last_voiced_at))
                case "speech_resumed":
                    events.append(SpeechResume())
                case "speech_stopped":
                    utterance = None
                    if self.settings.mode == "server_vad":
                        prefix = self._prefix_samples()
                        utterance = self._cut(max(self._first, self._speech_start - prefix))
                    events.append(
                        SpeechStop(
                            audio_ms=self._ms(self._vad_pos),
                            utterance=utterance,
                            ended_at=self._last_voiced_at,
                        )
                    )
                case None:
                    if self._ahead_due(probability):
                        start = max(self._first, self._speech_start - self._prefix_samples())
                        events.append(SpeechProgress(self._since(start)))
        self._trim()
        return events

    def _ahead_due(self, probability: float) -> bool:
        """Whether this voiced frame of an open speech is the next ``ahead_ms`` mark."""
        if self._ahead_ms <= 0 or self.settings.mode != "server_vad":
            return False
        if probability < self.settings.threshold or self.speech_ms() < self._next_ahead_ms:
            return False
        self._next_ahead_ms = self.speech_ms() + self._ahead_ms
        return True

    def commit(self) -> Float32Audio | None:
        """All audio since the last turn (push-to-talk), or None when there is none."""
        if self.buffered_samples == 0:
            return None
        self._detector.reset()
        return self._cut(self._first)

    def clear(self) -> None:
        self._chunks.clear()
        self._first = self._total
        self._detector.reset()

    def _ms(self, sample: int) -> int:
        return sample * 1000 // INPUT_SAMPLE_RATE

    def _prefix_samples(self) -> int:
        return self.settings.prefix_ms * INPUT_SAMPLE_RATE // 1000

    def _since(self, start: int) -> Float32Audio:
        """The buffered audio from absolute sample ``start`` to now (a copy)."""
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        return audio[start - self._first :]

    def _cut(self, start: int) -> Float32Audio:
        """The buffered audio from absolute sample ``start`` to now; the buffer empties."""
        out = self._since(start)
        self._chunks.clear()
        self._first = self._total
        return out

    def _trim(self) -> None:
        """Drop audio nobody can need: old silence in VAD mode, over 60 s otherwise."""
        if self.settings.mode == "server_vad" and not self._detector.speaking:
            keep = self.settings.prefix_ms * INPUT_SAMPLE_RATE // 1000 + 2 * self._step
        else:
            keep = MAX_TURN_SAMPLES
        while self._chunks and self._total - self._first - self._chunks[0].size >= keep:
            self._first += self._chunks.pop(0).size
