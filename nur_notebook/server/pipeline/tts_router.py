"""The TTS the session runtime calls: routes each sentence to Piper or eSpeak NG.

Piper speaks English for the neural voices of the catalog; eSpeak NG speaks the
``espeak_*`` voices and every language Piper lacks. Engines have their own sample
rates: the session runtime resamples from :attr:`sample_rate` (Piper's), which holds
because both engines speak at 22.05 kHz today; :meth:`RouterTTS.rate_for` says which
rate a (voice, language) pair really comes out at.

    >>> tts = RouterTTS(piper=PiperTTS.load(), espeak=EspeakTTS.load())  # doctest: +SKIP
    >>> tts.synthesize("Bonjour.", voice_id="joe", language="fr")  # doctest: +SKIP
"""

from __future__ import annotations

from nur_notebook.protocol.pcm import Int16Audio
from nur_notebook.server.pipeline.base import TTS, Voice
from nur_notebook.server.pipeline.voices import VOICES, find_voice


class RouterTTS(TTS):
    """Picks the engine for each (voice_id, language) from the voice catalog."""

    name = "router"

    def __init__(self, *, piper: TTS | None, espeak: TTS) -> None:
        self._piper = piper
        self._espeak = espeak
        self.sample_rate = piper.sample_rate if piper is not None else espeak.sample_rate

    @property
    def description(self) -> str:
        """Engine names, for status endpoints."""
        names = [self._piper.name] if self._piper is not None else []
        return " + ".join([*names, self._espeak.name])

    def engine_for(self, voice_id: str, language: str) -> TTS:
        """The engine that speaks ``voice_id`` in ``language``."""
        voice = find_voice(voice_id)
        if voice is None:
            raise ValueError(f"unknown voice {voice_id!r}")
        if language not in voice.languages:
            raise ValueError(f"voice {voice_id!r} does not speak {language!r}")
        if voice.engine == "piper" and language == "en" and self._piper is not None:
            return self._piper
        return self._espeak

    def rate_for(self, voice_id: str, language: str) -> int:
        """Sample rate of the audio for this voice and language."""
        return self.engine_for(voice_id, language).sample_rate

    def synthesize(self, text: str, *, voice_id: str, language: str) -> Int16Audio:
        return self.engine_for(voice_id, language).synthesize(
            text, voice_id=voice_id, language=language
        )

    @property
    def busy(self) -> bool:
        return self._espeak.busy or (self._piper is not None and self._piper.busy)

    def voices(self) -> list[Voice]:
        return list(VOICES)
