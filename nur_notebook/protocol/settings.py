"""A session's settings and the rules of ``session.update``, without I/O.

The server sends the whole object in ``session.created`` / ``session.updated``; a
client's ``session.update`` changes only the keys it names, and a bad value rejects the
whole update (nothing changes).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from nur_notebook.protocol.errors import ErrorCode, ProtocolError

INPUT_SAMPLE_RATE = 16_000
OUTPUT_SAMPLE_RATES = (16_000, 22_050, 24_000, 44_100, 48_000)


@dataclass(frozen=True)
class TurnDetection:
    """How the end of a user turn is found.

    ``server_vad``: the server ends the turn after ``silence_ms`` of silence following
    speech (speech = VAD probability >= ``threshold``). ``push_to_talk``: only
    ``input_audio.commit`` ends a turn.
    """

    mode: Literal["server_vad", "push_to_talk"] = "server_vad"
    threshold: float = 0.5
    silence_ms: int = 600
    prefix_ms: int = 300
    #: User speech of at least this long during agent audio interrupts it (barge-in).
    interrupt_min_ms: int = 250


@dataclass(frozen=True)
class SessionSettings:
    turn_detection: TurnDetection = TurnDetection()
    output_sample_rate: int = 24_000
    tool_timeout_ms: int = 15_000

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_audio": {"encoding": "pcm16", "sample_rate": INPUT_SAMPLE_RATE, "channels": 1},
            "output_audio": {
                "encoding": "pcm16",
                "sample_rate": self.output_sample_rate,
                "channels": 1,
            },
            "turn_detection": dataclasses.asdict(self.turn_detection),
            "tool_timeout_ms": self.tool_timeout_ms,
        }


_TURN_RULES: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "mode": (str, lambda v: v in ("server_vad", "push_to_talk")),
    "threshold": ((int, float), lambda v: 0.05 <= v <= 0.95),
    "silence_ms": (int, lambda v: 100 <= v <= 5_000),
    "prefix_ms": (int, lambda v: 0 <= v <= 2_000),
    "interrupt_min_ms": (int, lambda v: 0 <= v <= 5_000),
}
_TURN_LIMITS = {
    "mode": "'server_vad' or 'push_to_talk'",
    "threshold": "a number from 0.05 to 0.95",
    "silence_ms": "an integer from 100 to 5000",
    "prefix_ms": "an integer from 0 to 2000",
    "interrupt_min_ms": "an integer from 0 to 5000",
}


def _bad(path: str, expected: str) -> ProtocolError:
    return ProtocolError(ErrorCode.INVALID_EVENT, f"session.update: '{path}' must be {expected}")


#: Longest system prompt a ``session.update`` may set (the REST limit).
MAX_SYSTEM_PROMPT_CHARS = 100_000


def split_prompt(patch: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``patch`` without its ``system_prompt``, and the new prompt (None if not given).

    The prompt replaces the agent's for the rest of this session (the agent itself is
    unchanged); it must be a non-blank string of at most ``MAX_SYSTEM_PROMPT_CHARS``.
    """
    if "system_prompt" not in patch:
        return patch, None
    prompt = patch["system_prompt"]
    if not isinstance(prompt, str) or not prompt.strip():
        raise _bad("system_prompt", "a non-blank string")
    if len(prompt) > MAX_SYSTEM_PROMPT_CHARS:
        raise _bad("system_prompt", f"at most {MAX_SYSTEM_PROMPT_CHARS} characters")
    return {k: v for k, v in patch.items() if k != "system_prompt"}, prompt


def apply_update(current: SessionSettings, patch: dict[str, Any]) -> SessionSettings:
    """``current`` with ``patch`` applied; raises ``ProtocolError`` naming a bad key."""
    allowed = {"turn_detection", "output_audio", "tool_timeout_ms"}
    patch, _prompt = split_prompt(patch)
    for key in patch:
        if key not in allowed:
            raise _bad(key, f"one of {', '.join(sorted(allowed))} (unknown key)")
    turn = current.turn_detection
    if "turn_detection" in patch:
        td = patch["turn_detection"]
        if not isinstance(td, dict):
            raise _bad("turn_detection", "an object")
        changes: dict[str, Any] = {}
        for key, value in td.items():
            rule = _TURN_RULES.get(key)
            if rule is None:
                raise _bad(f"turn_detection.{key}", "a known key (unknown key)")
            kind, ok = rule
            if isinstance(value, bool) or not isinstance(value, kind) or not ok(value):
                raise _bad(f"turn_detection.{key}", _TURN_LIMITS[key])
            changes[key] = value
        turn = dataclasses.replace(turn, **changes)
    rate = current.output_sample_rate
    if "output_audio" in patch:
        out = patch["output_audio"]
        if not isinstance(out, dict) or set(out) - {"sample_rate", "encoding", "channels"}:
            raise _bad("output_audio", "an object with 'sample_rate'")
        if out.get("encoding", "pcm16") != "pcm16" or out.get("channels", 1) != 1:
            raise _bad("output_audio", "pcm16 mono (the only output format)")
        rate = out.get("sample_rate", rate)
        if rate not in OUTPUT_SAMPLE_RATES:
            raise _bad("output_audio.sample_rate", f"one of {OUTPUT_SAMPLE_RATES}")
    timeout = patch.get("tool_timeout_ms", current.tool_timeout_ms)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 100 <= timeout <= 300_000:
        raise _bad("tool_timeout_ms", "an integer from 100 to 300000")
    return SessionSettings(turn_detection=turn, output_sample_rate=rate, tool_timeout_ms=timeout)
