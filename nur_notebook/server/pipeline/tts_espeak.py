"""eSpeak NG in-process through ctypes, on the library and data bundled by espeakng-loader.

eSpeak NG keeps one global synthesizer per process, so every call goes through one
lock. It runs in synchronous mode: ``espeak_Synth`` returns once the sentence is
spoken and the samples have been collected by the callback. Voices come from
``voices.py``: ``espeak_f``/``espeak_m`` pick the female/male variant, other voices
(Piper's, for languages Piper lacks) use the language's default male voice.

    >>> tts = EspeakTTS.load()  # doctest: +SKIP
    >>> audio = tts.synthesize("Hola.", voice_id="espeak_f", language="es")  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np

from nur_notebook.protocol.pcm import Int16Audio
from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import TTS, Voice
from nur_notebook.server.pipeline.voices import SUPPORTED_LANGUAGES, VOICES

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_EE_OK = 0

#: eSpeak voice names per language, and the variant per catalog gender.
ESPEAK_LANGUAGE_VOICES = {"en": "en-us", "es": "es", "fr": "fr", "de": "de"}
ESPEAK_VARIANTS = {"female": "f3", "male": "m3"}

_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def espeak_voice_name(voice_id: str, language: str) -> str:
    """The eSpeak voice (with variant) that speaks ``voice_id`` in ``language``."""
    base = ESPEAK_LANGUAGE_VOICES.get(language)
    if base is None:
        raise ValueError(f"eSpeak voices are set up for {SUPPORTED_LANGUAGES}, not {language!r}")
    voice = next((v for v in VOICES if v.voice_id == voice_id), None)
    if voice is None:
        raise ValueError(f"unknown voice {voice_id!r}")
    variant = ESPEAK_VARIANTS.get(voice.gender or "")
    if voice.engine == "espeak" and variant:
        return f"{base}+{variant}"
    return base


class EspeakTTS(TTS):
    """eSpeak NG (22.05 kHz), every supported language, female and male variants."""

    name = "espeak-ng"

    def __init__(self, library: Path, data_dir: Path) -> None:
        self._lib = ctypes.CDLL(str(library))
        self._lib.espeak_Initialize.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
        ]  # fmt: skip
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetVoiceByName.restype = ctypes.c_int
        self._lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        self._lib.espeak_Synth.restype = ctypes.c_int
        # espeak_Initialize wants the folder that *contains* espeak-ng-data.
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_dir.parent).encode(), 0
        )
        if rate <= 0:
            raise RuntimeError(f"eSpeak NG failed to start with data in {data_dir}")
        self.sample_rate = int(rate)
        self._chunks: list[Int16Audio] = []
        # Keep a reference: ctypes frees the trampoline with the Python object.
        self._callback = _CALLBACK(self._collect)
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()
        self._current_voice = ""

    @classmethod
    def load(cls) -> EspeakTTS:
        """The process's eSpeak NG on the verified bundled library and data.

        eSpeak NG has one global state per process, so this returns one shared instance.
        """
        global _shared
        with _shared_lock:
            if _shared is None:
                library, data_dir = weights.espeak_library()
                _shared = cls(library, data_dir)
            return _shared

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def voices(self) -> list[Voice]:
        return [voice for voice in VOICES if voice.engine == "espeak"]

    def synthesize(self, text: str, *, voice_id: str, language: str) -> Int16Audio:
        name = espeak_voice_name(voice_id, language)
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            if name != self._current_voice:
                if self._lib.espeak_SetVoiceByName(name.encode()) != _EE_OK:
                    raise RuntimeError(f"eSpeak NG has no voice {name!r}")
                self._lib.espeak_SetParameter(_ESPEAK_RATE, 165, 0)
                self._current_voice = name
            self._chunks = []
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise RuntimeError(f"eSpeak NG could not speak the text (status {status})")
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(chunks).astype(np.int16, copy=False)


_shared: EspeakTTS | None = None
_shared_lock = threading.Lock()
