"""Identifiers and timestamps exactly as the API writes them.

IDs are a type prefix (``agt_``, ``ses_``, ``key_``, ``acct_``, ``req_``) followed by
random base62 characters; timestamps are ISO 8601 in UTC with a ``Z`` suffix and whole
seconds, e.g. ``2025-01-15T10:30:00Z``.
"""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime

_ALPHABET = string.ascii_letters + string.digits
_RANDOM_CHARS = 24

AGENT_PREFIX = "agt"
SESSION_PREFIX = "ses"
KEY_PREFIX = "key"
ACCOUNT_PREFIX = "acct"
REQUEST_PREFIX = "req"


def new_id(prefix: str, *, length: int = _RANDOM_CHARS) -> str:
    """A new random identifier such as ``agt_3kTmW9...``."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def iso_utc(epoch_seconds: float) -> str:
    """Format a Unix time as ISO 8601 UTC with a ``Z`` suffix, to the second."""
    moment = datetime.fromtimestamp(int(epoch_seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
