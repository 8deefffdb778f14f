"""Deterministic checks: subset matching of tool calls, reply checks, latency."""

from __future__ import annotations

from nur_notebook.evals.checks import check_turn, subset_matches
from nur_notebook.evals.model import Expect, ToolCallExpect

TURN = {
    "user": "Where is order 447?",
    "transcribed": "Where is order 447?",
    "reply": "Your order 447 has shipped with DHL.",
    "tool_calls": [
        {"name": "lookup_order", "arguments": {"order_id": "447", "verbose": True}, "output": {}}
    ],
    "latency_ms": 1840.0,
}


def test_subset_matching() -> None:
    assert subset_matches({"order_id": "447"}, {"order_id": "447", "x": 1})
    assert subset_matches({"order_id": "/^4\\d+$/"}, {"order_id": "447"})
    assert not subset_matches({"order_id": "/^5/"}, {"order_id": "447"})
    assert subset_matches({"order_id": 447}, {"order_id": "447"})
    assert subset_matches({"order_id": "447"}, {"order_id": 447})
    assert not subset_matches({"order_id": "44"}, {"order_id": "447"})
    assert not subset_matches({"missing": "x"}, {"order_id": "447"})
    assert subset_matches({"a": {"b": "c"}}, {"a": {"b": "c", "d": 1}})
    assert subset_matches({"items": ["a", "b"]}, {"items": ["a", "b"]})
    assert not subset_matches({"items": ["a"]}, {"items": ["a", "b"]})
    assert subset_matches({"flag": True}, {"flag": True})
    assert not subset_matches({"flag": True}, {"flag": 1})


def _named(checks: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(c["name"]): c for c in checks}


def test_every_kind_of_check_passes_on_a_good_turn() -> None:
    expect = Expect(
        tool_calls=(ToolCallExpect("lookup_order", {"order_id": "/447/"}),),
        reply_contains=("SHIPPED",),
        reply_matches=("(?i)dhl",),
        reply_excludes=("cancelled",),
        max_latency_ms=4000,
    )
    checks = _named(check_turn(2, TURN, expect))
    assert list(checks) == [
        "turn 2 tool_call lookup_order(order_id=/447/)",
        'turn 2 reply_contains "SHIPPED"',
        "turn 2 reply_matches /(?i)dhl/",
        'turn 2 reply_excludes "cancelled"',
        "turn 2 max_latency_ms 4000",
    ]
    assert all(c["passed"] for c in checks.values())
    assert checks["turn 2 max_latency_ms 4000"]["detail"] == "1840 ms"


def test_failures_say_what_happened() -> None:
    expect = Expect(
        tool_calls=(ToolCallExpect("lookup_order", {"order_id": "999"}), ToolCallExpect("refund")),
        no_tool_call=False,
        reply_contains=("refunded",),
        reply_matches=("^No",),
        reply_excludes=("dhl",),
        max_latency_ms=1000,
    )
    checks = check_turn(1, TURN, expect)
    assert not any(c["passed"] for c in checks)
    details = [str(c["detail"]) for c in checks]
    assert details[0].startswith('arguments differ: lookup_order({"order_id": "447"')
    assert details[1] == 'not called (lookup_order({"order_id": "447", "verbose": true}))'
    assert "Your order 447 has shipped" in details[2]
    assert details[5] == "1840 ms"


def test_no_tool_call_and_missing_latency() -> None:
    quiet = {**TURN, "tool_calls": [], "latency_ms": None}
    (no_call, latency) = check_turn(1, quiet, Expect(no_tool_call=True, max_latency_ms=10))
    assert no_call["passed"] is True
    assert latency["passed"] is False
    assert "no latency" in latency["detail"]
    (called,) = check_turn(1, TURN, Expect(no_tool_call=True))
    assert called["passed"] is False
    assert "lookup_order" in called["detail"]
