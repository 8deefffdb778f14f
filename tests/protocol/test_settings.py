from __future__ import annotations

import pytest

from nur_notebook.protocol import ProtocolError, SessionSettings, apply_update


def test_update_changes_only_named_keys() -> None:
    base = SessionSettings()
    new = apply_update(
        base, {"turn_detection": {"silence_ms": 900}, "output_audio": {"sample_rate": 16000}}
    )
    assert new.turn_detection.silence_ms == 900
    assert new.turn_detection.threshold == base.turn_detection.threshold
    assert new.output_sample_rate == 16000
    assert new.to_dict()["output_audio"]["sample_rate"] == 16000


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"voice": "x"}, "'voice'"),
        ({"turn_detection": {"silence_ms": 10}}, "turn_detection.silence_ms"),
        ({"turn_detection": {"threshold": True}}, "turn_detection.threshold"),
        ({"turn_detection": {"mode": "psychic"}}, "turn_detection.mode"),
        ({"turn_detection": {"speed": 1}}, "turn_detection.speed"),
        ({"output_audio": {"sample_rate": 8000}}, "output_audio.sample_rate"),
        ({"output_audio": {"encoding": "opus"}}, "output_audio"),
        ({"tool_timeout_ms": 0}, "tool_timeout_ms"),
    ],
)
def test_bad_update_names_the_key(patch: dict[str, object], fragment: str) -> None:
    with pytest.raises(ProtocolError) as info:
        apply_update(SessionSettings(), patch)
    assert fragment in info.value.message


def test_a_new_system_prompt_is_split_from_the_settings() -> None:
    from nur_notebook.protocol.settings import MAX_SYSTEM_PROMPT_CHARS, split_prompt

    rest, prompt = split_prompt({"system_prompt": "Be terse.", "tool_timeout_ms": 500})
    assert rest == {"tool_timeout_ms": 500}
    assert prompt == "Be terse."
    assert split_prompt({"tool_timeout_ms": 500}) == ({"tool_timeout_ms": 500}, None)
    new = apply_update(SessionSettings(), {"system_prompt": "Be terse."})
    assert new == SessionSettings()  # the prompt is the runtime's, not a setting
    for bad in ("  ", 7, "x" * (MAX_SYSTEM_PROMPT_CHARS + 1)):
        with pytest.raises(ProtocolError) as info:
            apply_update(SessionSettings(), {"system_prompt": bad, "tool_timeout_ms": 500})
        assert "system_prompt" in info.value.message
