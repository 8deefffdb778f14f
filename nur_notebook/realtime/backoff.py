"""When and whether to reconnect, as pure functions.

The session connection waits ``reconnect_delay(attempt)`` seconds before its
``attempt``-th reconnect (1-based): 0.25 s doubling up to 8 s, each spread by ±20 %
so many clients dropped at once do not come back in lockstep.

    >>> import random
    >>> rng = random.Random(0)
    >>> [round(reconnect_delay(n, rng=rng), 2) for n in (1, 2, 3, 10)]
    [0.28, 0.55, 0.97, 7.23]
"""

from __future__ import annotations

import random
from typing import Literal

from nur_notebook.protocol.errors import FINAL_CLOSE_CODES, CloseCode

#: Delay before the first reconnect, in seconds.
INITIAL_DELAY = 0.25
#: The delay doubles per attempt up to this ceiling, in seconds.
MAX_DELAY = 8.0
#: Each delay is spread uniformly by this fraction either side.
JITTER = 0.2


def reconnect_delay(
    attempt: int,
    *,
    initial: float = INITIAL_DELAY,
    ceiling: float = MAX_DELAY,
    jitter: float = JITTER,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before reconnect number ``attempt`` (1, 2, 3, ...)."""
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if not 0 <= jitter < 1:
        raise ValueError(f"jitter must be in [0, 1), got {jitter}")
    # min() before the power would overflow for very long outages.
    base = min(ceiling, initial * 2.0 ** min(attempt - 1, 64))
    spread = (rng or random).uniform(-jitter, jitter)
    return base * (1.0 + spread)


#: What to do after the socket closed.
Step = Literal["end", "fail", "resume", "fresh"]


def after_close(code: int | None, *, fatal_error: bool, closing: bool) -> Step:
    """The next step once the socket closed with ``code`` (None: it never opened).

    ``end``: stop quietly (the session ended, or we closed it); ``fail``: stop with an
    error (a final close code, or a fatal ``error`` event came first); ``fresh``:
    reconnect without resuming (4011, resume rejected); ``resume``: reconnect and resume.
    """
    if closing or code == CloseCode.NORMAL:
        return "end"
    if code == CloseCode.RESUME_REJECTED:
        return "fresh"
    if code in FINAL_CLOSE_CODES or fatal_error:
        return "fail"
    return "resume"
