"""The session machine's tool rounds and endings: results, timeouts, refusals, max_turns,
expiry, the client's end and shutdown (no I/O)."""

from __future__ import annotations

from machine_script import Script, emitted

from nur_notebook.protocol import events as ev
from nur_notebook.server.pipeline.base import ToolCallDecision
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.response import MAX_TOOL_ROUNDS


def decide(script: Script, order_id: str) -> list[io.Command]:
    stream = script.stream()
    decision = ToolCallDecision(name="lookup_order", arguments={"order_id": order_id})
    return script.feed(io.BrainDecided(stream, decision), after=0.2) + script.feed(
        io.BrainDone(stream)
    )


def asked(said: str, *, order_id: str) -> tuple[Script, list[io.Command]]:
    """A session whose user said ``said`` and whose brain then looked up ``order_id``;
    with the commands of that decision."""
    script = Script()
    script.say(said)
    return script, decide(script, order_id)


def test_a_tool_result_goes_to_the_brain_once() -> None:
    script, out = asked("Where is order 48213?", order_id="48213")
    call = emitted(out, ev.ToolCall)[0]
    assert (call.call_id, call.name, call.arguments) == (
        "call_1",
        "lookup_order",
        {"order_id": "48213"},
    )
    assert io.SetTimer("tool:call_1", 15.0) in out
    assert not script.of(io.FinishSpeaking, out)

    result = ev.ToolResult(call_id="call_1", output={"status": "shipped"})
    out = script.client(result, after=0.5)
    assert io.CancelTimer("tool:call_1") in out
    completed = emitted(out, ev.ToolCallCompleted)[0]
    assert completed.output == {"status": "shipped"}
    assert completed.duration_ms == 500.0
    history = script.of(io.StartBrain, out)[0].history
    assert [m.role for m in history] == ["user", "tool_call", "tool_result"]
    assert history[-1].content == '{"status": "shipped"}'

    again = script.client(ev.ToolResult(call_id="call_1", output="again", event_id="e2"))
    assert again[0].error.code == "duplicate_tool_result"  # type: ignore[union-attr]
    unknown = script.client(ev.ToolResult(call_id="call_zz", output=1))
    assert unknown[0].error.code == "unknown_call_id"  # type: ignore[union-attr]

    script.brain("Your order has shipped.")
    script.play("Your order has shipped.", 1.0)
    metrics = emitted(script.play_out(), ev.MetricsTurn)[0]
    assert metrics.tool_ms == 500.0


def test_a_tool_that_does_not_answer_becomes_an_error_result() -> None:
    script, _ = asked("Status of order 777 please", order_id="777")
    out = script.feed(io.TimerFired("tool:call_1"), after=15.0)
    error = emitted(out, ev.Error)[0]
    assert error.code == "tool_timeout"
    assert "call_1" in error.message
    completed = emitted(out, ev.ToolCallCompleted)[0]
    assert completed.is_error
    assert "did not answer" in str(completed.output)
    assert script.of(io.StartBrain, out)
    late = script.client(ev.ToolResult(call_id="call_1", output="late"))
    assert late[0].error.code == "duplicate_tool_result"  # type: ignore[union-attr]


def test_made_up_ids_are_refused_and_the_agent_must_ask() -> None:
    script, out = asked("Where is my order?", order_id="12345")  # nobody said 12345
    assert not emitted(out, ev.ToolCall)
    retry = script.of(io.StartBrain, out)[0]
    assert not retry.allow_tools
    refusal = retry.history[-1]
    assert refusal.role == "tool_result"
    assert refusal.is_error
    assert "order_id" in refusal.content
    said = script.brain("Which order number is it?")
    assert [c.text for c in script.of(io.Speak, said)] == ["Which order number is it?"]


def test_an_id_the_agents_prompt_gives_counts_as_said_and_the_tool_runs() -> None:
    script = Script(system_prompt="You help Ana. Her order number is 4471.")
    script.say("Where is my order?")
    out = decide(script, "4471")
    assert [c.arguments for c in emitted(out, ev.ToolCall)] == [{"order_id": "4471"}]
    assert not script.of(io.StartBrain, out)


def test_tool_rounds_are_capped() -> None:
    script = Script()
    script.say("Check order 42 again and again")
    for n in range(1, MAX_TOOL_ROUNDS + 1):
        assert script.of(io.StartBrain)[-1].allow_tools
        decide(script, "42")
        script.client(ev.ToolResult(call_id=f"call_{n}", output="pending"))
    assert not script.of(io.StartBrain)[-1].allow_tools


def test_an_interrupted_reply_cancels_only_its_own_tool_call() -> None:
    script, _ = asked("Where is order 5?", order_id="5")
    out = script.client(ev.ResponseCancel())
    assert io.CancelTimer("tool:call_1") in out
    assert emitted(out, ev.ResponseDone)[0].status == "cancelled"
    late = script.client(ev.ToolResult(call_id="call_1", output="x"))
    assert late[0].error.code == "duplicate_tool_result"  # type: ignore[union-attr]


def test_max_turns_says_goodbye_then_ends() -> None:
    script = Script(max_turns=1)
    script.say("Hi")
    script.brain("Hello, what can I do for you?")
    script.play("Hello, what can I do for you?", 1.0)
    out = script.play_out()
    assert emitted(out, ev.MetricsTurn)
    goodbye = script.of(io.Speak, out)[0].text
    assert "goodbye" in goodbye.lower()
    assert emitted(out, ev.ResponseStarted)[0].turn == 1
    script.play(goodbye, 2.0)
    end = script.play_out()
    assert end[-3:] == [
        io.MarkEnded("max_turns"),
        io.Emit(ev.SessionEnded(reason="max_turns")),
        io.Close(1000, "session ended: max_turns"),
    ]
    assert script.machine.ended == "max_turns"
    assert script.say("more?") == []


def test_max_turns_reached_by_an_interrupted_reply_ends_without_goodbye() -> None:
    script = Script(max_turns=1)
    script.say("Hi")
    script.brain("Hello there, this is a long answer.", done=False)
    out = script.client(ev.ResponseCancel())
    assert not script.of(io.Speak, out)
    assert io.MarkEnded("max_turns") in out


def test_expiry_ends_the_session_mid_reply() -> None:
    script = Script()
    script.say("Hi")
    stream = script.stream()
    out = script.feed(io.TimerFired("expiry"), after=60.0)
    assert io.CancelBrain(stream) in out
    assert emitted(out, ev.ResponseDone)[0].status == "cancelled"
    assert io.MarkEnded("expired") in out
    assert emitted(out, ev.SessionEnded) == [ev.SessionEnded(reason="expired")]
    assert out.index(io.MarkEnded("expired")) < out.index(
        io.Emit(ev.SessionEnded(reason="expired"))
    )
    assert script.feed(io.BrainSaid(stream, "late")) == []


def test_the_client_ends_the_session_and_pending_calls_go_with_it() -> None:
    script, _ = asked("Where is order 9?", order_id="9")
    out = script.client(ev.SessionEnd())
    assert io.CancelTimer("tool:call_1") in out
    assert io.CancelTimer("expiry") in out
    assert out[-1] == io.Close(1000, "session ended: client_ended")
    assert script.machine.tools.pending == []
    assert script.client(ev.ToolResult(call_id="call_1", output="x")) == []


def test_shutdown_closes_with_1001_and_leaves_the_rest_status_alone() -> None:
    script = Script()
    script.say("Hi")
    out = script.feed(io.Shutdown())
    assert out[-1] == io.Close(1001, "server shutting down")
    assert not script.of(io.MarkEnded, out)
    assert not emitted(out, ev.SessionEnded)
    assert script.feed(io.EndRequested("agent_deleted")) == []
