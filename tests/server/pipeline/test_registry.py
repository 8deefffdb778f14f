from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nur_notebook.server.config import ServerConfig
from nur_notebook.server.pipeline.registry import EngineOptions, load_engines


def test_options_from_the_server_config(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path, brain_url="http://127.0.0.1:9/v1", brain_model=None)
    options = EngineOptions.from_config(config)
    assert options.brain_url == "http://127.0.0.1:9/v1"
    assert options.brain_model == EngineOptions().brain_model  # None keeps the default
    named = EngineOptions.from_config(ServerConfig(data_dir=tmp_path, brain_model="llama3.2"))
    assert named.brain_model == "llama3.2"
    assert named.brain_url is None
    assert named.llm_slots == 4  # the server's None keeps the engine default
    sized = EngineOptions.from_config(ServerConfig(data_dir=tmp_path, llm_slots=8, llm_threads=1))
    assert (sized.llm_slots, sized.llm_threads) == (8, 1)
    assert sized.stt_model == "tiny.en"
    hearing = EngineOptions.from_config(ServerConfig(data_dir=tmp_path, stt_model="base"))
    assert hearing.stt_model == "base"


@pytest.mark.engines
def test_load_engines_reports_stages_and_describes_itself() -> None:
    stages: list[str] = []
    # An unreachable endpoint as the brain: loading must not need it (no request is made).
    options = EngineOptions(vad="webrtc", brain_url="http://127.0.0.1:9/v1", brain_model="m")
    engines = load_engines(options, progress=stages.append)
    assert stages == ["weights", "vad", "stt", "brain", "tts", "ready"]
    names = engines.description()
    assert names["vad"] == "webrtc"
    assert names["stt"].startswith("faster-whisper tiny.en")
    assert "openai-compatible m" in names["brain"]
    assert names["tts"] == "piper + espeak-ng"
    first, second = engines.new_vad(), engines.new_vad()
    assert first is not second
    assert engines.tts_for("joe", "en").name == "piper"
    assert engines.tts_for("joe", "de").name == "espeak-ng"
    assert first.speech_probability(np.zeros(first.frame_samples, dtype=np.float32)) == 0.0
