from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nur_notebook.cli import _engine_options, build_parser
from nur_notebook.server.config import ServerConfig
from nur_notebook.server.pipeline.options import EngineOptions
from nur_notebook.server.pipeline.registry import load_engines


def test_serve_options_become_the_configs_engine_options(tmp_path: Path) -> None:
    def config(*argv: str) -> ServerConfig:
        args = build_parser().parse_args(["serve", "--data-dir", str(tmp_path), *argv])
        return ServerConfig(data_dir=tmp_path, engine_options=_engine_options(args))

    remote = config("--brain-url", "http://127.0.0.1:9/v1").engine_options
    assert remote.brain_url == "http://127.0.0.1:9/v1"
    assert remote.brain_model == EngineOptions().brain_model  # not given: the default
    named = config("--brain-model", "llama3.2").engine_options
    assert (named.brain_model, named.brain_url) == ("llama3.2", None)
    assert named.llm_slots == 4
    sized = config("--llm-slots", "8", "--llm-threads", "1", "--stt-model", "base")
    options = sized.engine_options
    assert (options.llm_slots, options.llm_threads, options.stt_model) == (8, 1, "base")
    assert ServerConfig(data_dir=tmp_path).engine_options == EngineOptions()


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
