"""A conversation's transcript, tool calls and recorded audio as an eval scenario."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from nur_notebook.evals import load_suite
from nur_notebook.notebook.scenario import scenario_from

TRANSCRIPT = [
    {"role": "agent", "text": "Hello!", "turn": 0},
    {"role": "user", "text": "Where is order 447?", "turn": 1},
    {"role": "agent", "text": "It has shipped.", "turn": 1},
    {"role": "user", "text": "Thanks, bye.", "turn": 2},
    {"role": "agent", "text": "Bye!", "turn": 2},
]
CALLS = [{"name": "lookup_order", "arguments": {"order_id": "447"}, "turn": 1, "output": "x"}]


def test_typed_turns_become_a_text_scenario_with_the_calls_as_expectations() -> None:
    scenario = scenario_from(TRANSCRIPT, CALLS, name="orders")
    assert scenario == {
        "name": "orders",
        "mode": "text",
        "turns": [
            {
                "user": "Where is order 447?",
                "expect": {
                    "tool_call": [{"name": "lookup_order", "arguments": {"order_id": "447"}}]
                },
            },
            {"user": "Thanks, bye.", "expect": {"no_tool_call": True}},
        ],
    }
    suite = load_suite(
        {
            "agent": {"name": "Desk", "system_prompt": "Hi.", "tools": [{"name": "lookup_order"}]},
            "scenarios": [scenario],
        }
    )
    assert suite.scenarios[0].turns[0].expect.tool_calls[0].arguments == {"order_id": "447"}


def test_spoken_turns_replay_their_audio(tmp_path: Path) -> None:
    audio = {1: b"\x01\x00" * 800, 2: b"\x02\x00" * 1600}
    scenario = scenario_from(TRANSCRIPT, CALLS, name="by voice", audio=audio)
    assert scenario["mode"] == "audio"
    with wave.open(io.BytesIO(scenario["turns"][1]["audio"])) as wav:
        assert wav.getframerate() == 16000
        assert wav.getnframes() == 1600
    files = scenario_from(TRANSCRIPT, CALLS, name="by voice", audio=audio, audio_dir=tmp_path)
    assert files["turns"][0]["audio"] == str(tmp_path / "by-voice-turn1.wav")
    assert (tmp_path / "by-voice-turn1.wav").stat().st_size == 44 + 1600
    words = scenario_from(TRANSCRIPT, CALLS, name="words", audio=audio, mode="spoken")
    assert words["mode"] == "spoken"
    assert "audio" not in words["turns"][0]


def test_what_cannot_be_a_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="no user turn"):
        scenario_from(TRANSCRIPT[:1], [], name="x")
    with pytest.raises(ValueError, match="some turns were typed"):
        scenario_from(TRANSCRIPT, CALLS, name="x", audio={1: b"\x00\x00"}, mode="audio")
    with pytest.raises(ValueError, match="mode must be"):
        scenario_from(TRANSCRIPT, CALLS, name="x", mode="sung")
