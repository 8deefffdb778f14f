"""The local server's ``GET /health``, read in its one shape.

    {"status": "ok", "version": "0.1.0",
     "engines": {"state": "ready", "load_seconds": 21.5, "error": "...",
                 "names": {"vad": "silero", "stt": "faster-whisper", ...}}}

``engines.state`` is ``loading``, ``ready``, ``failed`` or ``disabled``; ``names`` and
``error`` appear when there is something to say. A server (or the hosted API) without
``/health`` reads as an empty document: no engine state, no names.

    >>> Health.parse({"status": "ok", "engines": {"state": "disabled"}}).problem
    'speech engines off: REST only'
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx

HEALTH_PATH = "/health"


@dataclass(frozen=True)
class Health:
    """What ``/health`` says about the server and its speech engines."""

    status: str = ""
    version: str = ""
    #: ``loading``, ``ready``, ``failed``, ``disabled``; None when the server does not say.
    state: str | None = None
    load_seconds: float | None = None
    error: str = ""
    #: ``stage -> engine name`` (vad, stt, brain, tts) once the engines are loaded.
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, body: object) -> Health:
        """Read a ``/health`` body; whatever is missing or of another type is left out."""
        if not isinstance(body, dict):
            return cls()
        engines = body.get("engines")
        engines = engines if isinstance(engines, dict) else {}
        names = engines.get("names")
        seconds = engines.get("load_seconds")
        return cls(
            status=_text(body.get("status")),
            version=_text(body.get("version")),
            state=engines["state"] if isinstance(engines.get("state"), str) else None,
            load_seconds=float(seconds) if isinstance(seconds, int | float) else None,
            error=_text(engines.get("error")),
            names={
                str(stage): name
                for stage, name in (names.items() if isinstance(names, dict) else ())
                if isinstance(name, str)
            },
        )

    @property
    def problem(self) -> str:
        """A short note when the engines cannot serve sessions, else ""."""
        if self.state == "disabled":
            return "speech engines off: REST only"
        if self.state == "failed":
            return f"the speech engines failed to load: {self.error or 'see %nur server logs'}"
        if self.state == "loading":
            return "speech engines still loading"
        return ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def fetch_health(base_url: str, *, timeout: float) -> dict[str, Any]:
    """The server's ``/health`` document (it needs no API key), or ``{}`` when there is
    none: no answer, another status, or a body that is not a JSON object."""
    try:
        response = httpx.get(base_url + HEALTH_PATH, timeout=timeout)
    except httpx.HTTPError:
        return {}
    body: object = None
    if response.status_code == 200:
        with contextlib.suppress(ValueError):
            body = response.json()
    return body if isinstance(body, dict) else {}
