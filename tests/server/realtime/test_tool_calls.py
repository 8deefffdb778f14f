from __future__ import annotations

import pytest

from nur_notebook.protocol.errors import ProtocolError
from nur_notebook.server.realtime.tools import ToolCalls, ToolOutcome, new_call_id


def test_result_resolves_the_call_once() -> None:
    calls = ToolCalls()
    calls.open("call_1", now=10.0)
    status, outcome = calls.resolve(
        "call_1", output={"status": "shipped"}, is_error=False, now=10.5
    )
    assert status == "accepted"
    assert calls.resolve("call_1", output="other", is_error=True) == ("duplicate", None)
    assert outcome is not None
    assert outcome.output == {"status": "shipped"}
    assert not outcome.is_error
    assert not outcome.timed_out
    assert outcome.duration_ms == 500.0
    assert calls.pending == []


def test_unknown_call_is_reported() -> None:
    assert ToolCalls().resolve("call_nope", output=1, is_error=False) == ("unknown", None)


def test_timeout_becomes_an_error_result_and_late_answers_are_duplicates() -> None:
    calls = ToolCalls()
    calls.open("call_2", now=1.0)
    outcome = calls.expire("call_2", limit_s=0.05, now=1.05)
    assert outcome is not None
    assert outcome.is_error
    assert outcome.timed_out
    assert "did not answer" in outcome.as_text()
    assert outcome.duration_ms >= 40
    assert calls.resolve("call_2", output="late", is_error=False)[0] == "duplicate"
    assert calls.expire("call_2", limit_s=0.05, now=2.0) is None


def test_cancel_all_forgets_pending_calls() -> None:
    calls = ToolCalls()
    calls.open("call_3")
    calls.open("call_5")
    calls.cancel(["call_5"])
    assert calls.pending == ["call_3"]
    calls.cancel_all()
    assert calls.pending == []
    assert calls.resolve("call_3", output=None, is_error=False)[0] == "duplicate"
    with pytest.raises(ValueError, match="already exists"):
        calls.open("call_3")


def test_outcome_text_and_ids() -> None:
    assert ToolOutcome(output="plain", is_error=False).as_text() == "plain"
    assert ToolOutcome(output={"a": 1}, is_error=False).as_text() == '{"a": 1}'
    first, second = new_call_id(), new_call_id()
    assert first.startswith("call_")
    assert first != second


def test_deliver_raises_the_protocol_errors() -> None:
    calls = ToolCalls()
    calls.open("call_4")
    assert calls.deliver("call_4", output=1, is_error=False).output == 1
    with pytest.raises(ProtocolError) as duplicate:
        calls.deliver("call_4", output=2, is_error=False, event_id="e1")
    assert duplicate.value.code == "duplicate_tool_result"
    assert duplicate.value.event_id == "e1"
    with pytest.raises(ProtocolError) as unknown:
        calls.deliver("call_x", output=2, is_error=False)
    assert unknown.value.code == "unknown_call_id"
