"""Neural English speech with Piper (piper-tts) and the packaged en_US joe voice.

The ONNX voice loads once; :meth:`PiperTTS.synthesize` speaks one sentence at a time
at the voice's 22.05 kHz. Piper brings its own phonemiser (eSpeak NG inside the
package), so nothing is fetched at run time.

    >>> tts = PiperTTS.load()  # doctest: +SKIP
    >>> audio = tts.synthesize("Hello there.", voice_id="joe", language="en")  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from nur_notebook.protocol.pcm import Int16Audio
from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import TTS, Voice
from nur_notebook.server.pipeline.voices import VOICES


def _quiet_session(path: Path) -> Any:
    """The voice's ONNX session with worker threads that sleep between runs.

    onnxruntime's own pool spins after each operator by default (``OMP_WAIT_POLICY``
    does not reach it), and on two cores the spinning takes the LLM's time: measured
    while a reply decoded alongside, the LLM ran at 9.0 tok/s with sleeping workers
    against 6.1 with spinning ones, for a sentence synthesized in 488 instead of 425 ms
    (``docs/engines.md``).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )


class PiperTTS(TTS):
    """Piper on the joe voice; speaks English for the catalog's Piper voices."""

    name = "piper"

    def __init__(self, voice: Any) -> None:
        self._voice = voice
        self.sample_rate = int(voice.config.sample_rate)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, *, model_path: Path | None = None, warm_up: bool = True) -> PiperTTS:
        """Load the verified joe voice (and synthesize a word so the first reply is fast)."""
        from piper import PiperVoice

        path = model_path or weights.piper_joe_model()
        voice = PiperVoice.load(str(path), config_path=f"{path}.json")
        voice.session = _quiet_session(path)
        tts = cls(voice)
        if warm_up:
            tts.synthesize("Ready.", voice_id="joe", language="en")
        return tts

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def voices(self) -> list[Voice]:
        return [voice for voice in VOICES if voice.engine == "piper"]

    def synthesize(self, text: str, *, voice_id: str, language: str) -> Int16Audio:
        if language != "en":
            raise ValueError(f"Piper speaks English only, not {language!r}")
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        with self._lock:  # one ONNX run at a time: both cores go to it
            chunks = [chunk.audio_int16_array for chunk in self._voice.synthesize(text)]
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(chunks).astype(np.int16, copy=False)
