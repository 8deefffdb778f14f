"""response.py: a turn's stage times, keyed by the stage names of ``metrics.turn``."""

from __future__ import annotations

import pytest

from nur_notebook.protocol.events import METRIC_KEYS
from nur_notebook.server.realtime.response import TurnTimings


def test_first_keeps_the_first_time_and_add_sums() -> None:
    timings = TurnTimings()
    timings.first("llm_first_token_ms", 120.0)
    timings.first("llm_first_token_ms", 999.0)
    timings.add("tool_ms", 40.0)
    timings.add("tool_ms", 2.5)
    assert timings.stages == {"llm_first_token_ms": 120.0, "tool_ms": 42.5}


def test_an_unknown_stage_is_refused_and_changes_nothing() -> None:
    timings = TurnTimings()
    timings.record("stt_ms", 80.0)
    for record in (timings.record, timings.first, timings.add):
        with pytest.raises(ValueError, match="unknown stage 'stt'"):
            record("stt", 1.0)
    assert timings.stages == {"stt_ms": 80.0}


def test_the_event_has_every_stage_rounded_and_the_missing_ones_null() -> None:
    timings = TurnTimings(turn_end=10.0, first_audio_at=10.41234)
    timings.record("stt_ms", 80.04)
    timings.first("tts_first_audio_ms", 51.26)
    event = timings.metrics_event(3)
    assert event.turn == 3
    values = {key: getattr(event, key) for key in METRIC_KEYS}
    assert values == {
        "voice_to_voice_ms": 412.3,
        "stt_ms": 80.0,
        "llm_first_token_ms": None,
        "llm_first_sentence_ms": None,
        "tool_ms": None,
        "tts_first_audio_ms": 51.3,
    }


def test_no_audio_yet_means_no_voice_to_voice_time() -> None:
    assert TurnTimings(turn_end=1.0).metrics_event(1).voice_to_voice_ms is None
