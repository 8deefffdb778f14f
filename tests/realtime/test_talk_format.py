from __future__ import annotations

from nur_notebook.protocol.events import (
    Error,
    MetricsTurn,
    ResponseDone,
    SessionEnded,
    ToolCall,
    ToolCallCompleted,
    TranscriptAgentFinal,
    TranscriptUserFinal,
)
from nur_notebook.realtime.events import ConnectionReconnecting, ConnectionResumed
from nur_notebook.realtime.talk_format import MAX_VALUE_CHARS, EventFormatter


def test_a_turn_with_a_tool_call_prints_as_a_conversation() -> None:
    fmt = EventFormatter()
    call = ToolCall(
        call_id="call_1",
        name="lookup_order",
        arguments={"order_id": "12345"},
        response_id="rsp_1",
        turn=1,
    )
    done = ToolCallCompleted(
        call_id="call_1",
        name="lookup_order",
        output={"status": "shipped"},
        is_error=False,
        duration_ms=3.14,
    )
    metrics = MetricsTurn(turn=1, voice_to_voice_ms=1840.4, llm_first_token_ms=310.0)
    lines = [
        fmt(TranscriptUserFinal(turn=1, text="where is my order 12345")),
        fmt(call),
        fmt(done),
        fmt(TranscriptAgentFinal(response_id="rsp_1", turn=1, text="It has shipped.")),
        fmt(ResponseDone(response_id="rsp_1", turn=1, status="completed")),
        fmt(metrics),
    ]
    assert lines == [
        "user: where is my order 12345",
        None,
        'tool: lookup_order({"order_id": "12345"}) -> {"status": "shipped"} (3.1 ms)',
        "agent: It has shipped.",
        None,
        "turn 1: voice-to-voice 1840 ms | stt - | brain first token 310 ms"
        " | brain first sentence - | tools - | tts first audio -",
    ]


def test_errors_interruptions_and_connection_changes_get_lines() -> None:
    fmt = EventFormatter()
    failed = ToolCallCompleted(
        call_id="call_9", name="refund", output="x" * 500, is_error=True, duration_ms=15000.0
    )
    line = fmt(failed)
    assert line is not None
    assert line.startswith("tool: refund() -> error: xxx")
    assert len(line) < MAX_VALUE_CHARS + 50
    interrupted = TranscriptAgentFinal(response_id="r", turn=2, text="Your or", interrupted=True)
    assert fmt(interrupted) == "agent: Your or [interrupted]"
    assert fmt(Error(code="tool_timeout", message="no result", fatal=False)) == (
        "error: tool_timeout: no result"
    )
    assert fmt(SessionEnded(reason="max_turns")) == "session ended: max_turns"
    assert fmt(ConnectionReconnecting(attempt=2, delay=0.5)) == (
        "connection lost; reconnecting (attempt 2, in 0.50 s)"
    )
    assert fmt(ConnectionResumed(replayed=4, last_seq=10)) == (
        "connection resumed (4 missed events replayed)"
    )
