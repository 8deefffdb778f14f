from __future__ import annotations

import itertools

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


def test_the_window_moves_in_steps_so_its_start_stays_put_between_them() -> None:
    history = History(max_messages=8)
    starts = []
    for turn in range(1, 21):
        history.add_user(f"question {turn}")
        window = history.window()
        assert len(window) <= 8
        assert window[-1].content == f"question {turn}"
        assert window[0].role == "user"
        starts.append(window[0].content)
        history.add_agent(f"answer {turn}")
    assert starts[:4] == ["question 1"] * 4  # within the limit: everything
    # Past it the start moves to the newer half, then stays for two turns (max / 4
    # exchanges); a window sliding by one exchange would start anew every turn.
    assert starts[4:8] == ["question 3", "question 3", "question 5", "question 5"]
    changes = [n for n in range(1, 20) if starts[n] != starts[n - 1]]
    assert all(b - a >= 2 for a, b in itertools.pairwise(changes)), starts


def test_a_dropped_speculative_turn_before_the_start_does_not_break_the_window() -> None:
    history = History(max_messages=4)
    for turn in range(1, 5):
        history.add_user(f"q{turn}")
        history.add_agent(f"a{turn}")
    assert [m.content for m in history.window()] == ["q4", "a4"]
    history.truncate(2)
    assert [m.content for m in history.window()] == ["q1", "a1"]


def test_a_peek_between_turns_moves_no_step() -> None:
    peeked, plain = History(max_messages=10), History(max_messages=10)
    for turn in range(1, 21):
        for history in (peeked, plain):
            history.add_user(f"question {turn}")
        assert peeked.window() == plain.window(), turn
        for history in (peeked, plain):
            for call in range(turn % 3):  # turns with tool rounds: steps fall unevenly
                history.add_tool_call("lookup", {"n": call})
                history.add_tool_result("lookup", "found", is_error=False)
            history.add_agent(f"answer {turn}")
        peek = peeked.window(peek=True)  # listening ahead, before the user's words
        assert peek[-1].content == f"answer {turn}"
        assert len(peek) <= 10
