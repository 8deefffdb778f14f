"""Per-session rate limiting: a token bucket over an injectable clock.

Each session has one bucket for JSON events and one for audio frames. A client that
empties a bucket gets ``error{code: rate_limited}`` for the dropped input; one that
keeps flooding (``strikes`` refusals with no quiet second between them) is
disconnected with close code 4008. Other sessions never notice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError


@dataclass(frozen=True)
class RateLimit:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    rate: float
    burst: float

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be positive and burst at least 1")


class TokenBucket:
    """Classic token bucket; ``take`` says whether one more item may pass now."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        quiet_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet_s = quiet_s
        self.limit = limit
        self._clock = clock
        self._tokens = limit.burst
        self._stamp = clock()
        self._last_refusal = float("-inf")
        #: Refusals since the flood began: the count restarts only after ``quiet_s``
        #: without a refusal (a flood lets one item through per refill; that is no pause).
        self.refused_in_a_row = 0

    def take(self, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens if available; count the refusals of a flood otherwise."""
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(self.limit.burst, self._tokens + elapsed * self.limit.rate)
        if self._tokens >= cost:
            self._tokens -= cost
            if now - self._last_refusal >= self.quiet_s:
                self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        self._last_refusal = now
        return False

    @property
    def tokens(self) -> float:
        return self._tokens


Admission = Literal["pass", "drop", "report", "close"]


class FloodGuard:
    """A bucket plus the protocol's rules for what a refusal means.

    ``pass``: let the item through. ``report``: the first refusal of a flood, answer
    with a non-fatal ``rate_limited`` error. ``drop``: drop silently (one error per flood
    is enough). ``close``: ``strikes`` refusals in one flood, close with 4008.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        what: str,
        strikes: int = 200,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bucket = TokenBucket(limit, clock=clock)
        self.what = what
        self.strikes = strikes

    def admit(self, cost: float = 1.0) -> Admission:
        """The verdict on one item of ``cost`` tokens (an audio frame: its length)."""
        if self.bucket.take(cost):
            return "pass"
        refused = self.bucket.refused_in_a_row
        if refused >= self.strikes:
            return "close"
        return "report" if refused == 1 else "drop"

    def error(self, *, fatal: bool) -> ProtocolError:
        """The error event for a ``report`` (or, with ``fatal``, a ``close``)."""
        limit = self.bucket.limit
        if fatal:
            return ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"sustained flood of {self.what}: {self.bucket.refused_in_a_row} dropped",
                close_code=CloseCode.RATE_LIMITED,
            )
        return ProtocolError(
            ErrorCode.RATE_LIMITED,
            f"too many {self.what} (limit {limit.rate:g}/s, bursts of {limit.burst:g});"
            " the excess is dropped",
        )
