"""The pure retry policy: which statuses, how long, and Retry-After parsing."""

from __future__ import annotations

import email.utils

import pytest

from nur_notebook.client.retries import (
    INITIAL_DELAY,
    MAX_DELAY,
    MAX_RETRY_AFTER,
    backoff_delay,
    retry_after,
    retry_delay,
    should_retry_status,
)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert should_retry_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 413, 415, 422])
def test_statuses_not_retried(status: int) -> None:
    assert not should_retry_status(status)


def test_backoff_doubles_up_to_a_cap_with_jitter_below() -> None:
    no_jitter = [backoff_delay(n, rand=lambda: 0.0) for n in range(6)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert no_jitter[0] == INITIAL_DELAY
    assert no_jitter[-1] == MAX_DELAY
    full_jitter = backoff_delay(0, rand=lambda: 1.0)
    assert full_jitter == pytest.approx(0.375)


def test_backoff_is_random_within_its_band() -> None:
    delays = {backoff_delay(1) for _ in range(50)}
    assert len(delays) > 1
    assert all(0.75 <= d <= 1.0 for d in delays)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "x", "retry-after": "3"}, 3.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after": str(MAX_RETRY_AFTER + 1)}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers) == expected


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 5, usegmt=True)
    assert retry_after({"retry-after": header}, now=lambda: now) == pytest.approx(5.0)
    past = email.utils.formatdate(now - 5, usegmt=True)
    assert retry_after({"retry-after": past}, now=lambda: now) is None


def test_retry_delay_prefers_the_server() -> None:
    assert retry_delay(3, headers={"retry-after": "1"}) == 1.0
    assert retry_delay(0, headers={}, rand=lambda: 0.0) == INITIAL_DELAY
    assert retry_delay(1, rand=lambda: 0.0) == 1.0
