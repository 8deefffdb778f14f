from __future__ import annotations

import numpy as np
import pytest

from nur_notebook.server.realtime.audio_out import PlayoutClock, pcm16_to_float, resample


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_resample_keeps_duration_and_tone() -> None:
    rate = 22_050
    t = np.arange(rate) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 10_000).astype(np.int16)
    out = resample(tone, src_rate=rate, dst_rate=24_000)
    assert out.dtype == np.int16
    assert out.size == 24_000
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1  # 1 s of audio: bin = Hz
    assert resample(tone, src_rate=rate, dst_rate=rate) is tone
    with pytest.raises(ValueError, match="positive"):
        resample(tone, src_rate=0, dst_rate=16_000)


def test_pcm16_to_float_scale() -> None:
    pcm = np.array([0, 16384, -32768], dtype="<i2").tobytes()
    assert pcm16_to_float(pcm).tolist() == [0.0, 0.5, -1.0]


def test_pacing_keeps_a_small_lead() -> None:
    clock = FakeClock()
    playout = PlayoutClock(lead_s=0.2, clock=clock)
    waits = []
    for _ in range(10):  # 10 x 40 ms sent at t=0 without sleeping
        waits.append(playout.delay_before(0.04))
        playout.sent(0.04)
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(0.04)
    assert waits[9] == pytest.approx(0.2)


def test_played_text_keeps_only_what_was_heard() -> None:
    clock = FakeClock()
    playout = PlayoutClock(lead_s=0.25, clock=clock)
    playout.add_segment("Your order has shipped.", 2.0)
    playout.add_segment("It arrives on Friday morning.", 2.0)
    playout.delay_before(0.04)
    playout.sent(4.0)
    clock.now = 1.0
    assert playout.played_text() == "Your order..."
    clock.now = 3.0
    assert playout.played_text() == "Your order has shipped. It arrives..."
    clock.now = 9.0
    assert playout.played_s() == 4.0
    assert playout.played_text() == "Your order has shipped. It arrives on Friday morning."


def test_nothing_heard_before_audio_starts() -> None:
    playout = PlayoutClock(clock=FakeClock())
    playout.add_segment("Hello there.", 1.0)
    assert playout.played_s() == 0.0
    assert playout.played_text() == ""
