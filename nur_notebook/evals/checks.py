"""The deterministic checks of a turn, as pure functions over what the turn recorded.

A turn record is the ``turns`` item of a result row: ``user``, ``transcribed``, ``reply``,
``tool_calls`` (each ``name``, ``arguments``, ...) and ``latency_ms``. Each check gives a
``{"name", "passed", "detail"}`` dict; names say the turn and the expectation, so a failed
run says which check broke::

    >>> from nur_notebook.evals.model import Expect
    >>> turn = {"reply": "It has shipped.", "tool_calls": [], "latency_ms": 900.0}
    >>> [c["name"] for c in check_turn(1, turn, Expect(reply_contains=("shipped",)))]
    ['turn 1 reply_contains "shipped"']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from nur_notebook.evals.model import Expect, ToolCallExpect

Check = dict[str, Any]


def check(name: str, passed: bool, detail: str) -> Check:
    """One check result."""
    return {"name": name, "passed": bool(passed), "detail": detail}


def check_turn(number: int, turn: Mapping[str, Any], expect: Expect) -> list[Check]:
    """Every deterministic check of ``expect`` on turn ``number`` (1-based)."""
    prefix = f"turn {number}"
    reply = str(turn.get("reply") or "")
    calls = list(turn.get("tool_calls") or [])
    results: list[Check] = []
    for wanted in expect.tool_calls:
        results.append(_tool_call(prefix, wanted, calls))
    if expect.no_tool_call:
        made = ", ".join(_call_text(c) for c in calls)
        results.append(
            check(
                f"{prefix} no_tool_call",
                not calls,
                "no tool call" if not calls else f"called {made}",
            )
        )
    lowered = reply.casefold()
    for text in expect.reply_contains:
        found = text.casefold() in lowered
        results.append(
            check(
                f'{prefix} reply_contains "{text}"', found, _quote(reply) if not found else "found"
            )
        )
    for pattern in expect.reply_matches:
        hit = re.search(pattern, reply)
        detail = f"matched {hit.group(0)!r}" if hit else f"no match in {_quote(reply)}"
        results.append(check(f"{prefix} reply_matches /{pattern}/", hit is not None, detail))
    for text in expect.reply_excludes:
        found = text.casefold() in lowered
        detail = f"the reply says it: {_quote(reply)}" if found else "absent"
        results.append(check(f'{prefix} reply_excludes "{text}"', not found, detail))
    if expect.max_latency_ms is not None:
        latency = turn.get("latency_ms")
        limit = expect.max_latency_ms
        name = f"{prefix} max_latency_ms {limit:g}"
        if latency is None:
            results.append(check(name, False, "no latency was measured for this turn"))
        else:
            results.append(check(name, float(latency) <= limit, f"{float(latency):.0f} ms"))
    return results


def _tool_call(prefix: str, wanted: ToolCallExpect, calls: list[Mapping[str, Any]]) -> Check:
    name = f"{prefix} tool_call {wanted.name}"
    if wanted.arguments:
        name += "(" + ", ".join(f"{k}={_value_text(v)}" for k, v in wanted.arguments.items()) + ")"
    same_name = [c for c in calls if c.get("name") == wanted.name]
    for call in same_name:
        if subset_matches(wanted.arguments, call.get("arguments") or {}):
            return check(name, True, _call_text(call))
    if same_name:
        made = "; ".join(_call_text(c) for c in same_name)
        return check(name, False, f"arguments differ: {made}")
    made = ", ".join(_call_text(c) for c in calls) or "no tool call"
    return check(name, False, f"not called ({made})")


def subset_matches(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` has everything ``expected`` says.

    Mappings match when every expected key is present and matches (extra keys are fine);
    a string written ``/.../`` is a regular expression searched in the value's text;
    other strings equal the value's text (ignoring surrounding spaces); numbers compare as
    numbers (``"447"`` matches 447); lists must match item by item.
    """
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and subset_matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(subset_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, str):
        if len(expected) >= 2 and expected.startswith("/") and expected.endswith("/"):
            return re.search(expected[1:-1], _text(actual)) is not None
        return _text(actual).strip() == expected.strip()
    if isinstance(expected, bool) or expected is None:
        return actual is expected  # true is not 1
    if isinstance(expected, int | float):
        try:
            return float(_text(actual)) == float(expected)
        except ValueError:
            return False
    return bool(expected == actual)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith("/") else json.dumps(value)


def _call_text(call: Mapping[str, Any]) -> str:
    arguments = json.dumps(call.get("arguments") or {}, ensure_ascii=False, sort_keys=True)
    return f"{call.get('name')}({arguments})"


def _quote(reply: str, limit: int = 160) -> str:
    text = reply if len(reply) <= limit else reply[: limit - 1] + "…"
    return f"reply: {text!r}" if reply else "the reply was empty"


__all__ = ["Check", "check", "check_turn", "subset_matches"]
