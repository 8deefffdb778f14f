from __future__ import annotations

import random

import pytest

from nur_notebook.realtime.backoff import (
    INITIAL_DELAY,
    JITTER,
    MAX_DELAY,
    after_close,
    reconnect_delay,
)


def test_without_jitter_the_delay_doubles_from_a_quarter_second_to_eight() -> None:
    delays = [reconnect_delay(n, jitter=0.0) for n in range(1, 9)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_stays_within_twenty_percent_and_varies() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        base = min(MAX_DELAY, INITIAL_DELAY * 2 ** (attempt - 1))
        samples = [reconnect_delay(attempt, rng=rng) for _ in range(200)]
        assert min(samples) >= base * (1 - JITTER)
        assert max(samples) <= base * (1 + JITTER)
        assert max(samples) - min(samples) > base * JITTER  # spread, not a constant


def test_a_very_long_outage_neither_overflows_nor_exceeds_the_ceiling() -> None:
    assert reconnect_delay(10_000, jitter=0.0) == MAX_DELAY


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.2), (-1, 0.2), (1, 1.0), (1, -0.1)])
def test_bad_arguments_are_refused(attempt: int, jitter: float) -> None:
    with pytest.raises(ValueError, match=r"attempt|jitter"):
        reconnect_delay(attempt, jitter=jitter)


@pytest.mark.parametrize(
    ("code", "fatal", "closing", "step"),
    [
        (1000, False, False, "end"),  # session.ended, then a normal close
        (1006, False, True, "end"),  # we closed it ourselves
        (1006, False, False, "resume"),  # the socket just vanished
        (1011, False, False, "resume"),
        (1009, False, False, "resume"),
        (4008, False, False, "resume"),  # flood: back off, then carry on
        (None, False, False, "resume"),  # a reconnect attempt that did not open
        (4011, True, False, "fresh"),  # resume rejected: start afresh
        (4001, False, False, "fail"),
        (4004, False, False, "fail"),
        (4009, False, False, "fail"),
        (4010, False, False, "fail"),
        (1011, True, False, "fail"),  # a fatal error (engines unavailable) came first
    ],
)
def test_after_close_follows_the_close_codes(
    code: int | None, fatal: bool, closing: bool, step: str
) -> None:
    assert after_close(code, fatal_error=fatal, closing=closing) == step
