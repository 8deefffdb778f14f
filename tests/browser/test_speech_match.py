"""The envelope match the microphone browser test relies on, on synthetic envelopes: it must
forgive what a loaded machine does to a capture and still tell speech from other sound."""

from __future__ import annotations

import random

from widget_echo import speech_match

LEAD, TAIL = 16, 30  # frames of silence around the speech, as the test's WAV has


def speech(seed: int, frames: int = 124) -> list[float]:
    """Syllable-like bursts: a rising and falling level, then a short gap."""
    rng = random.Random(seed)
    out: list[float] = []
    while len(out) < frames:
        peak, width = rng.uniform(0.05, 0.3), rng.randint(3, 8)
        out += [peak * (1 - abs(2 * i / width - 1)) + 0.01 for i in range(width + 1)]
        out += [0.002] * rng.randint(0, 4)
    return out[:frames]


def wav(seed: int = 1) -> list[float]:
    return [0.0] * LEAD + speech(seed) + [0.0] * TAIL


def captured(envelope: list[float], *, late: int = 0, gain: float = 2.5) -> list[float]:
    """What a capture of ``envelope`` receives: louder (the browser's gain), a little noise,
    opened ``late`` frames after the file began, with silence after."""
    rng = random.Random(7)
    body = [gain * v + rng.uniform(0, 0.004) for v in envelope[late:]]
    return body + [0.001] * 25


def test_a_capture_of_the_speech_matches() -> None:
    r, how = speech_match(wav(), captured(wav()))
    assert r > 0.9, how


def test_a_capture_opened_inside_the_leading_silence_still_matches() -> None:
    for late in (3, 6, 10, 14):
        r, how = speech_match(wav(), captured(wav(), late=late))
        assert r > 0.9, f"{late} frames late: {how}"


def test_a_capture_that_lost_the_first_words_does_not_match() -> None:
    r, how = speech_match(wav(), captured(wav(), late=LEAD + 40))
    assert r < 0.7, how


def test_other_speech_or_silence_does_not_match() -> None:
    for other in (captured(wav(seed=5)), [0.001] * 200):
        r, how = speech_match(wav(), other)
        assert r < 0.7, how
