from __future__ import annotations

import pytest

from nur_notebook.protocol import events as ev
from nur_notebook.server.realtime.history import History


def test_window_keeps_recent_messages_and_drops_dangling_tool_entries() -> None:
    history = History(max_messages=4)
    history.add_agent("Hello! How can I help?")
    history.add_user("Where is order 12345?")
    history.add_tool_call("lookup_order", {"order_id": "12345"})
    history.add_tool_result("lookup_order", '{"status": "shipped"}', is_error=False)
    history.add_agent("It has shipped.")
    window = history.window()
    assert [m.role for m in window] == ["user", "tool_call", "tool_result", "agent"]
    history.add_user("Thanks")
    assert [m.role for m in history.window()] == ["agent", "user"]
    assert history.user_turns == 2


def test_empty_agent_text_is_not_kept() -> None:
    history = History()
    history.add_agent("   ")
    assert len(history) == 0
    with pytest.raises(ValueError, match="at least 2"):
        History(max_messages=1)


def test_rebuild_from_filed_events() -> None:
    history = History()
    history.rebuild(
        [
            ev.TranscriptUserFinal(turn=1, text="Order 12345?"),
            ev.ToolCall(
                call_id="c", name="lookup_order", arguments={"order_id": "12345"},
                response_id="r", turn=1,
            ),
            ev.ToolCallCompleted(
                call_id="c", name="lookup_order", output={"status": "shipped"},
                is_error=False, duration_ms=1.0,
            ),
            ev.TranscriptAgentDelta(response_id="r", turn=1, text="It"),
            ev.TranscriptAgentFinal(response_id="r", turn=1, text="It shipped."),
        ]
    )  # fmt: skip
    assert [(m.role, m.content) for m in history.window()] == [
        ("user", "Order 12345?"),
        ("tool_call", ""),
        ("tool_result", '{"status": "shipped"}'),
        ("agent", "It shipped."),
    ]
