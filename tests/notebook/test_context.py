"""Reading the server's status document while the engines load (pure parts)."""

from __future__ import annotations

from nur_notebook.notebook.context import (
    NurContext,
    engine_names,
    engine_problem,
    engine_state,
    wait_for_engines,
)

READY = {
    "status": "ok",
    "engines": {
        "state": "ready",
        "load_seconds": 21.5,
        "names": {"vad": "silero", "stt": "faster-whisper", "brain": "llama-cpp", "tts": "piper"},
    },
}


def test_engine_state_and_names() -> None:
    assert engine_state(READY) == "ready"
    assert engine_names(READY) == {
        "vad": "silero",
        "stt": "faster-whisper",
        "brain": "llama-cpp",
        "tts": "piper",
    }
    assert engine_state({"status": "ok"}) is None
    assert engine_names({"status": "ok"}) == {}
    assert engine_state({"engines": {"state": "loading"}}) == "loading"
    assert engine_names({"engines": {"state": "loading"}}) == {}


def test_summary_lines() -> None:
    local = NurContext(mode="local", base_url="http://127.0.0.1:1", api_key="k")
    local.engines = engine_names(READY)
    assert local.summary() == (
        "nur_notebook: connected to the local Nur server at http://127.0.0.1:1 "
        "(vad: silero, stt: faster-whisper, brain: llama-cpp, tts: piper)"
    )
    hosted = NurContext(mode="hosted", base_url="https://example.invalid", api_key="k")
    assert hosted.summary() == "nur_notebook: connected to the Nur API at https://example.invalid"
    assert hosted.next_version("A") == 1
    hosted.versions["A"] = 3
    assert hosted.next_version("A") == 4


def test_an_unreachable_server_is_not_waited_for() -> None:
    context = NurContext(mode="local", base_url="http://127.0.0.1:9", api_key="k")
    seen: list[str] = []
    assert wait_for_engines(context, progress=seen.append, timeout=5) == {}
    assert seen == []


def test_engine_problems_are_named_in_the_summary() -> None:
    assert engine_problem(READY) == ""
    assert engine_problem({"status": "ok"}) == ""
    assert engine_problem({"engines": {"state": "disabled"}}) == "speech engines off: REST only"
    failed = {"engines": {"state": "failed", "error": "OSError: no model"}}
    assert engine_problem(failed) == "the speech engines failed to load: OSError: no model"
    context = NurContext(mode="local", base_url="http://127.0.0.1:1", api_key="k")
    context.engine_problem = engine_problem(failed)
    assert context.summary().endswith("(the speech engines failed to load: OSError: no model)")
