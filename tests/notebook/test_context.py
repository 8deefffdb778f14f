"""Reading the server's /health while the engines load (pure parts)."""

from __future__ import annotations

from nur_notebook.notebook.context import NurContext, wait_for_engines
from nur_notebook.notebook.health import Health

READY = {
    "status": "ok",
    "engines": {
        "state": "ready",
        "load_seconds": 21.5,
        "names": {"vad": "silero", "stt": "faster-whisper", "brain": "llama-cpp", "tts": "piper"},
    },
}


def test_engine_state_and_names() -> None:
    ready = Health.parse(READY)
    assert ready.state == "ready"
    assert ready.load_seconds == 21.5
    assert ready.names == {
        "vad": "silero",
        "stt": "faster-whisper",
        "brain": "llama-cpp",
        "tts": "piper",
    }
    assert Health.parse({"status": "ok"}).state is None
    assert Health.parse({"status": "ok"}).names == {}
    assert Health.parse({"engines": {"state": "loading"}}).state == "loading"
    assert Health.parse({"engines": {"state": "loading"}}).names == {}


def test_a_body_of_another_shape_reads_as_empty() -> None:
    assert Health.parse(["not", "an", "object"]) == Health()
    odd = Health.parse({"engines": {"state": 3, "names": {"vad": 1, "stt": "whisper"}}})
    assert (odd.state, odd.names) == (None, {"stt": "whisper"})


def test_summary_lines() -> None:
    local = NurContext(mode="local", base_url="http://127.0.0.1:1", api_key="k")
    local.engines = Health.parse(READY).names
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
    assert wait_for_engines(context, progress=seen.append, timeout=5) == Health()
    assert seen == []


def test_engine_problems_are_named_in_the_summary() -> None:
    assert Health.parse(READY).problem == ""
    assert Health.parse({"status": "ok"}).problem == ""
    disabled = Health.parse({"engines": {"state": "disabled"}})
    assert disabled.problem == "speech engines off: REST only"
    failed = Health.parse({"engines": {"state": "failed", "error": "OSError: no model"}})
    assert failed.problem == "the speech engines failed to load: OSError: no model"
    context = NurContext(mode="local", base_url="http://127.0.0.1:1", api_key="k")
    context.engine_problem = failed.problem
    assert context.summary().endswith("(the speech engines failed to load: OSError: no model)")
