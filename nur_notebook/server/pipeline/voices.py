"""The voices and languages the local server speaks: pure data, no engine imports.

REST validation (`voice_id`, `language`) and `GET /v1/voices` read this catalog; the TTS
registry maps each voice to the engine that speaks it. The seed's example voice ids
(`rachel_v2`) are here so the seed's examples run unchanged against the local server.
"""

from __future__ import annotations

from nur_notebook.server.pipeline.base import Voice

#: Languages an agent may be created with. English runs end to end on the neural
#: engines; the others answer through eSpeak NG.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de")

VOICES: tuple[Voice, ...] = (
    Voice(
        voice_id="rachel_v2",
        name="Rachel",
        engine="piper",
        languages=SUPPORTED_LANGUAGES,
        description="Neural English voice (Piper en_US joe); eSpeak NG for other languages.",
    ),
    Voice(
        voice_id="joe",
        name="Joe",
        engine="piper",
        languages=SUPPORTED_LANGUAGES,
        gender="male",
        description="Piper en_US joe (neural); eSpeak NG for other languages.",
    ),
    Voice(
        voice_id="espeak_f",
        name="eSpeak (female)",
        engine="espeak",
        languages=SUPPORTED_LANGUAGES,
        gender="female",
        description="eSpeak NG, female variant, every supported language.",
    ),
    Voice(
        voice_id="espeak_m",
        name="eSpeak (male)",
        engine="espeak",
        languages=SUPPORTED_LANGUAGES,
        gender="male",
        description="eSpeak NG, male variant, every supported language.",
    ),
)

_BY_ID = {voice.voice_id: voice for voice in VOICES}


def find_voice(voice_id: str) -> Voice | None:
    """The voice with this id, or None."""
    return _BY_ID.get(voice_id)
