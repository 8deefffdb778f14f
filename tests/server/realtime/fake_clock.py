"""A clock the test moves by hand (``clock.now += 0.5``), for code that takes ``clock=``."""

from __future__ import annotations


class FakeClock:
    """Callable like ``time.monotonic``; returns ``now``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
