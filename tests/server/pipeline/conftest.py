"""Fixtures for the engine tests: speech made by eSpeak NG, engines loaded once per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_speech import Speak, espeak_speech

from nur_notebook.server.pipeline.base import Float32Audio


@pytest.fixture
def speak(tmp_path: Path) -> Speak:
    def make(text: str, *, voice: str = "en-us") -> Float32Audio:
        return espeak_speech(text, voice=voice, workdir=tmp_path)

    return make


@pytest.fixture(scope="session")
def whisper() -> Any:
    from nur_notebook.server.pipeline.stt import WhisperSTT

    return WhisperSTT.load()


@pytest.fixture(scope="session")
def llama_brain() -> Any:
    from nur_notebook.server.pipeline.brain_llama import LlamaBrain

    return LlamaBrain.load()
