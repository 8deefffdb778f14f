from __future__ import annotations

import pytest
from fake_clock import FakeClock

from nur_notebook.server.realtime.audio_out import PlayoutClock


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
