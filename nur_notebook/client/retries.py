"""The retry policy: which failures to retry and how long to wait. Pure functions.

Retried: connection errors, timeouts, and statuses 408, 409, 429 and 5xx. The wait is
exponential backoff with jitter, unless the server says how long with ``Retry-After``
(seconds or an HTTP date) or ``retry-after-ms``, which wins when it is reasonable.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping

DEFAULT_MAX_RETRIES = 2
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
JITTER = 0.25
#: A ``Retry-After`` longer than this is ignored in favour of our own backoff.
MAX_RETRY_AFTER = 60.0

RETRYABLE_STATUSES = frozenset({408, 409, 429})


def should_retry_status(status_code: int) -> bool:
    """Whether an answer with this status is worth another try."""
    return status_code in RETRYABLE_STATUSES or status_code >= 500


def backoff_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
    base = min(INITIAL_DELAY * 2.0**attempt, MAX_DELAY)
    return base * (1 - JITTER * rand())


def retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """The wait the server asked for, in seconds, or None when absent or unreasonable."""
    delay: float | None = None
    if (raw_ms := headers.get("retry-after-ms")) is not None:
        try:
            delay = float(raw_ms) / 1000
        except ValueError:
            delay = None
    if delay is None and (raw := headers.get("retry-after")) is not None:
        try:
            delay = float(raw)
        except ValueError:
            delay = _http_date_delay(raw, now())
    if delay is None or not 0 <= delay <= MAX_RETRY_AFTER:
        return None
    return delay


def _http_date_delay(raw: str, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return moment.timestamp() - now


def retry_delay(
    attempt: int,
    *,
    headers: Mapping[str, str] | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait before the next try: the server's ``Retry-After`` if usable, else backoff."""
    asked = retry_after(headers) if headers is not None else None
    return asked if asked is not None else backoff_delay(attempt, rand=rand)
