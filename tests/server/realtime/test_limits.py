from __future__ import annotations

import pytest
from fake_clock import FakeClock

from nur_notebook.server.realtime.limits import FloodGuard, RateLimit, TokenBucket


def test_burst_then_refill_at_rate() -> None:
    clock = FakeClock(100.0)
    bucket = TokenBucket(RateLimit(rate=10, burst=5), clock=clock)
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.refused_in_a_row == 1
    clock.now += 0.25  # 2.5 tokens
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    clock.now += 10
    assert bucket.tokens == pytest.approx(0.5)
    assert sum(bucket.take() for _ in range(10)) == 5  # capped at the burst


def test_refusal_count_restarts_only_after_a_quiet_second() -> None:
    clock = FakeClock(100.0)
    bucket = TokenBucket(RateLimit(rate=100, burst=1), quiet_s=1.0, clock=clock)
    bucket.take()
    for _ in range(50):  # a flood: one item per refill gets through, the rest are refused
        clock.now += 0.005
        bucket.take()
        bucket.take()
    assert bucket.refused_in_a_row >= 50
    clock.now += 1.5
    assert bucket.take()
    assert bucket.refused_in_a_row == 0


def test_limit_validation() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimit(rate=0, burst=1)


def test_flood_guard_reports_once_then_drops_then_closes() -> None:
    clock = FakeClock(100.0)
    guard = FloodGuard(RateLimit(rate=10, burst=3), what="events", strikes=5, clock=clock)
    verdicts = [guard.admit() for _ in range(9)]
    assert verdicts == ["pass"] * 3 + ["report", "drop", "drop", "drop", "close", "close"]
    report = guard.error(fatal=False)
    assert report.code == "rate_limited"
    assert report.close_code is None
    assert "10/s" in report.message
    assert guard.error(fatal=True).close_code == 4008
    clock.now += 2.0
    assert guard.admit() == "pass"
    assert guard.admit() == "pass"
    assert guard.bucket.refused_in_a_row == 0


def test_an_item_can_cost_more_than_one_token() -> None:
    """Audio frames cost their length: one second of audio is 50 units of 20 ms."""
    clock = FakeClock(100.0)
    guard = FloodGuard(RateLimit(rate=200, burst=400), what="audio", strikes=10, clock=clock)
    assert [guard.admit(50) for _ in range(9)] == ["pass"] * 8 + ["report"]
    clock.now += 0.25  # 50 units refilled: one more second of audio
    assert guard.admit(50) == "pass"
    assert guard.admit(50) == "drop"
    clock.now += 0.01  # two units: too little for a second of audio, enough for 20 ms
    assert guard.admit(50) == "drop"
    assert guard.admit(1) == "pass"
