from __future__ import annotations

import pytest

from nur_notebook.server.realtime.turns import TurnConfig, TurnDetector


def feed_all(detector: TurnDetector, probabilities: list[float]) -> list[tuple[int, str]]:
    events = []
    for index, probability in enumerate(probabilities):
        event = detector.feed(probability)
        if event is not None:
            events.append((index, event))
    return events


def test_speech_starts_after_min_speech_and_stops_after_silence() -> None:
    detector = TurnDetector(TurnConfig(frame_ms=32, min_speech_ms=96, silence_ms=320))
    probabilities = [0.0] * 5 + [0.9] * 20 + [0.05] * 12
    events = feed_all(detector, probabilities)
    assert events == [(7, "speech_started"), (34, "speech_stopped")]
    assert detector.last_voiced_frame == 24
    assert not detector.speaking


def test_short_blips_are_not_speech() -> None:
    detector = TurnDetector(TurnConfig(frame_ms=32, min_speech_ms=96))
    assert feed_all(detector, [0.9, 0.9, 0.1, 0.9, 0.1] * 10) == []


def test_short_pauses_do_not_end_the_turn() -> None:
    detector = TurnDetector(TurnConfig(frame_ms=32, min_speech_ms=32, silence_ms=320))
    probabilities = [0.9] * 5 + ([0.1] * 5 + [0.9] * 3) * 4
    assert feed_all(detector, probabilities) == [(0, "speech_started")]
    assert detector.speaking


def test_hysteresis_keeps_middling_probabilities_as_speech() -> None:
    detector = TurnDetector(
        TurnConfig(threshold=0.5, hysteresis=0.15, frame_ms=32, min_speech_ms=32, silence_ms=64)
    )
    events = feed_all(detector, [0.9] + [0.4] * 10 + [0.3, 0.3])
    assert events == [(0, "speech_started"), (12, "speech_stopped")]


def test_reset_returns_to_silence() -> None:
    detector = TurnDetector(TurnConfig(frame_ms=32, min_speech_ms=32))
    assert detector.feed(0.9) == "speech_started"
    detector.reset()
    assert not detector.speaking
    assert detector.feed(0.9) == "speech_started"


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_rejects_probabilities_outside_unit_interval(bad: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        TurnDetector().feed(bad)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="threshold"):
        TurnConfig(threshold=0)
    with pytest.raises(ValueError, match="frame_ms"):
        TurnConfig(frame_ms=0)
    assert TurnConfig(frame_ms=32, silence_ms=600).stop_frames == 19


def test_a_pause_comes_before_the_stop_and_speech_resumes_it() -> None:
    config = TurnConfig(frame_ms=32, min_speech_ms=32, silence_ms=320, pause_ms=96)
    detector = TurnDetector(config)
    probabilities = [0.9] * 3 + [0.05] * 4 + [0.9] * 2 + [0.05] * 10
    assert feed_all(detector, probabilities) == [
        (0, "speech_started"),
        (5, "speech_paused"),
        (7, "speech_resumed"),
        (11, "speech_paused"),
        (18, "speech_stopped"),
    ]


def test_no_pauses_unless_shorter_than_the_silence() -> None:
    for pause_ms in (0.0, 320.0, 500.0):
        config = TurnConfig(frame_ms=32, min_speech_ms=32, silence_ms=320, pause_ms=pause_ms)
        events = feed_all(TurnDetector(config), [0.9] * 3 + [0.05] * 10)
        assert [name for _, name in events] == ["speech_started", "speech_stopped"]
