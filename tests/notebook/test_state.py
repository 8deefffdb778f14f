"""The conversation reducer: session event dicts in, transcript/tool calls/metrics out."""

from __future__ import annotations

from typing import Any

from nur_notebook.notebook.state import ConversationState, iso


def feed(state: ConversationState, events: list[dict[str, Any]], *, start: float = 100.0) -> None:
    for index, event in enumerate(events):
        state.apply(event, now=start + index)


TOOL_TURN: list[dict[str, Any]] = [
    {"type": "session.created", "seq": 1, "session": {}, "resume_token": "r"},
    {"type": "response.started", "seq": 2, "response_id": "resp_0", "turn": 0, "generation": 1},
    {
        "type": "transcript.agent.final",
        "seq": 3,
        "response_id": "resp_0",
        "turn": 0,
        "text": "Hello! How can I help you today?",
    },
    {"type": "response.done", "seq": 4, "response_id": "resp_0", "turn": 0, "status": "completed"},
    {"type": "input_audio.speech_started", "seq": 5, "audio_ms": 500},
    {"type": "input_audio.speech_stopped", "seq": 6, "audio_ms": 2500},
    {"type": "transcript.user.final", "seq": 7, "turn": 1, "text": "Where is order 1234?"},
    {"type": "response.started", "seq": 8, "response_id": "resp_1", "turn": 1, "generation": 2},
    {
        "type": "tool.call",
        "seq": 9,
        "call_id": "call_1",
        "name": "lookup_order",
        "arguments": {"order_id": "1234"},
        "response_id": "resp_1",
        "turn": 1,
    },
    {
        "type": "tool.call.completed",
        "seq": 10,
        "call_id": "call_1",
        "name": "lookup_order",
        "output": {"status": "shipped"},
        "is_error": False,
        "duration_ms": 3.5,
    },
    {
        "type": "transcript.agent.final",
        "seq": 11,
        "response_id": "resp_1",
        "turn": 1,
        "text": "Order 1234 has shipped.",
    },
    {"type": "response.done", "seq": 12, "response_id": "resp_1", "turn": 1, "status": "completed"},
    {
        "type": "metrics.turn",
        "seq": 13,
        "turn": 1,
        "voice_to_voice_ms": 1800.0,
        "stt_ms": 400.0,
        "llm_first_token_ms": 300.0,
        "tool_ms": 3.5,
    },
]


def test_a_turn_with_a_tool_call_builds_transcript_tools_and_metrics() -> None:
    state = ConversationState(agent_version=3)
    feed(state, TOOL_TURN)
    assert [(e["role"], e["turn"], e["text"]) for e in state.transcript] == [
        ("agent", 0, "Hello! How can I help you today?"),
        ("user", 1, "Where is order 1234?"),
        ("agent", 1, "Order 1234 has shipped."),
    ]
    assert {e["agent_version"] for e in state.transcript} == {3}
    user = state.transcript[1]
    assert user["started_at"] == iso(104.0)  # speech started
    assert user["ended_at"] == iso(106.0)  # final transcript
    assert state.transcript[2]["started_at"] == iso(107.0)  # response.started
    (call,) = state.tool_calls
    assert call["name"] == "lookup_order"
    assert call["arguments"] == {"order_id": "1234"}
    assert call["output"] == {"status": "shipped"}
    assert call["is_error"] is False
    assert call["duration_ms"] == 3.5
    assert call["turn"] == 1
    assert call["status"] == "done"
    (row,) = state.metrics
    assert row["voice_to_voice_ms"] == 1800.0
    assert row["tts_first_audio_ms"] is None
    assert row["agent_version"] == 3
    assert state.responses_done == 2
    assert state.status == "listening"


def test_status_follows_the_conversation() -> None:
    state = ConversationState()
    seen = []
    for index, event in enumerate(TOOL_TURN[:8]):
        state.apply(event, now=float(index))
        seen.append(state.status)
    assert seen == [
        "listening",
        "speaking",
        "speaking",
        "listening",
        "user_speaking",
        "thinking",
        "thinking",
        "speaking",
    ]


def test_replayed_events_are_ignored() -> None:
    state = ConversationState()
    feed(state, TOOL_TURN)
    before = (list(state.transcript), list(state.tool_calls), list(state.metrics))
    for event in TOOL_TURN[5:]:
        assert state.apply(event, now=500.0) == set()
    assert (state.transcript, state.tool_calls, state.metrics) == before
    assert state.last_seq == 13


def test_interruption_marks_the_agent_entry() -> None:
    state = ConversationState()
    feed(
        state,
        [
            {"type": "response.started", "seq": 1, "response_id": "r1", "turn": 1, "generation": 1},
            {
                "type": "transcript.agent.final",
                "seq": 2,
                "response_id": "r1",
                "turn": 1,
                "text": "Your order",
                "interrupted": False,
            },
            {
                "type": "response.interrupted",
                "seq": 3,
                "response_id": "r1",
                "turn": 1,
                "played_ms": 800,
            },
            {
                "type": "response.done",
                "seq": 4,
                "response_id": "r1",
                "turn": 1,
                "status": "interrupted",
            },
        ],
    )
    assert state.transcript[0]["interrupted"] is True
    assert state.transcript[0]["text"] == "Your order"


def test_failed_tool_and_a_completion_without_its_call() -> None:
    state = ConversationState()
    changed = state.apply(
        {
            "type": "tool.call.completed",
            "seq": 4,
            "call_id": "c9",
            "name": "lookup_order",
            "output": "KeyError: 'x'",
            "is_error": True,
            "duration_ms": 12,
        },
        now=1.0,
    )
    assert changed == {"tool_calls"}
    (call,) = state.tool_calls
    assert call["status"] == "error"
    assert call["is_error"] is True
    assert call["duration_ms"] == 12.0


def test_errors_and_the_end_of_a_session() -> None:
    state = ConversationState()
    assert state.apply(
        {"type": "error", "seq": 1, "code": "rate_limited", "message": "slow down", "fatal": False},
        now=0,
    ) == {"error"}
    assert state.error == "rate_limited: slow down"
    assert not state.ended
    state.apply({"type": "session.ended", "seq": 2, "reason": "max_turns"}, now=1)
    assert state.ended
    assert state.ended_reason == "max_turns"
    # Nothing revives an ended session's status.
    assert state.apply({"type": "connection.reconnecting"}, now=2) == set()
    assert state.status == "ended"


def test_fatal_error_ends_and_unknown_events_change_nothing() -> None:
    state = ConversationState()
    assert state.apply({"type": "something.new", "seq": 1}, now=0) == set()
    state.apply(
        {"type": "error", "seq": 2, "code": "internal", "message": "boom", "fatal": True}, now=0
    )
    assert state.status == "error"
    assert state.ended


def test_reconnect_events_without_seq_are_applied() -> None:
    state = ConversationState()
    feed(state, TOOL_TURN[:1])
    assert state.apply({"type": "connection.reconnecting", "attempt": 1}, now=1) == {"status"}
    assert state.status == "reconnecting"
    state.apply({"type": "connection.resumed"}, now=2)
    assert state.status == "listening"


def test_answered_waits_for_the_greeting_and_every_turn_sent() -> None:
    state = ConversationState()
    assert not state.answered(inputs=0, greeting=False)  # still connecting
    steps = [
        (TOOL_TURN[0], False),  # session.created: the greeting has not started
        (TOOL_TURN[1], False),  # greeting response started
        (TOOL_TURN[2], False),
        (TOOL_TURN[3], True),  # greeting done; no user turn sent yet
    ]
    for event, expected in steps:
        state.apply(event, now=0)
        assert state.answered(inputs=0, greeting=True) is expected, event["type"]
    # One typed turn sent: not answered until its response is done.
    for event in TOOL_TURN[4:11]:
        state.apply(event, now=0)
        assert not state.answered(inputs=1, greeting=True), event["type"]
    state.apply(TOOL_TURN[11], now=0)  # response.done of turn 1
    assert state.answered(inputs=1, greeting=True)
    assert not state.answered(inputs=2, greeting=True)  # a second turn is still unheard
    state.apply({"type": "session.ended", "seq": 99, "reason": "max_turns"}, now=0)
    assert state.answered(inputs=2, greeting=True)  # nothing more will come


def test_a_turn_is_complete_only_with_its_metrics() -> None:
    state = ConversationState()
    feed(state, TOOL_TURN[:12])  # the greeting and turn 1, up to its response.done
    assert state.answered(inputs=1, greeting=True)
    assert not state.complete(inputs=1, greeting=True)  # metrics.turn of turn 1 not yet here
    feed(state, TOOL_TURN[12:])
    assert state.metrics[-1]["turn"] == 1
    assert state.complete(inputs=1, greeting=True)
    assert state.complete(inputs=0, greeting=True)
    assert not state.complete(inputs=2, greeting=True)
