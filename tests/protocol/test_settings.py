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
