"""Spoken turns through the real engines: a tool call with the right argument, barge-in,
push-to-talk, and a tool that never answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from live_server import LocalServer, silence, speech
from session_client import SessionClient

pytestmark = pytest.mark.engines


async def connect(server: LocalServer, **agent: object) -> SessionClient:
    created = server.create_agent(**agent)
    session = server.create_session(created["id"])
    client = await SessionClient.connect(session["websocket_url"], server.key)
    await client.wait_for("session.created")
    return client


async def test_spoken_question_calls_the_tool_and_answers_with_its_result(
    server: LocalServer, tmp_path: Path
) -> None:
    client = await connect(server)
    await client.send_audio(speech("Where is my order one two three four five?", tmp_path))
    await client.send_audio(silence(1.0))

    assert (await client.wait_for("input_audio.speech_started")).audio_ms < 800
    await client.wait_for("input_audio.speech_stopped")
    user = await client.wait_for("transcript.user.final")
    assert "12345" in user.text.replace(" ", "").replace(",", "")
    call = await client.wait_for("tool.call")
    assert call.name == "lookup_order"
    assert call.arguments == {"order_id": "12345"}
    await client.send(
        {
            "type": "tool.result",
            "call_id": call.call_id,
            "output": {"status": "shipped", "carrier": "DHL", "arrives": "Friday"},
        }
    )
    completed = await client.wait_for("tool.call.completed")
    assert completed.call_id == call.call_id
    assert not completed.is_error
    final = await client.wait_for("transcript.agent.final")
    assert any(word in final.text.lower() for word in ("shipped", "friday", "dhl"))
    metrics = await client.wait_for("metrics.turn")
    assert metrics.stt_ms is not None
    assert metrics.tool_ms is not None
    assert metrics.voice_to_voice_ms is not None
    assert metrics.voice_to_voice_ms > metrics.stt_ms
    await client.close()

    stored = server.get(f"/v1/sessions/{client.events[0].session['id']}/transcript").json()
    assert stored["tool_calls"][0]["arguments"] == {"order_id": "12345"}
    assert stored["tool_calls"][0]["output"]["carrier"] == "DHL"


async def test_barge_in_stops_the_agent_and_keeps_only_what_was_played(
    server: LocalServer, tmp_path: Path
) -> None:
    client = await connect(server, tools=[])
    interruption = speech("Stop, stop please.", tmp_path)
    await client.send(
        {
            "type": "input.text",
            "text": "Tell me a long story about a lighthouse keeper, in at least six sentences.",
        }
    )
    started = await client.wait_for("response.started")
    await client.wait_audio(started.generation)
    await asyncio.sleep(1.5)  # let the agent speak for a while
    await client.send_audio(interruption)
    interrupted = await client.wait_for("response.interrupted", within=10)
    assert interrupted.response_id == started.response_id
    assert 1_000 < interrupted.played_ms < 8_000
    final = await client.wait_for("transcript.agent.final", lambda e: e.turn == 1)
    assert final.interrupted
    generated = "".join(e.text for e in client.of_type("transcript.agent.delta") if e.turn == 1)
    assert final.text
    assert len(final.text.rstrip(".")) < len(generated.strip())
    assert generated.strip().startswith(final.text.split()[0])
    done = await client.wait_for("response.done", lambda e: e.turn == 1)
    assert done.status == "interrupted"
    # Audio of the interrupted generation stops: nothing more of it after the event.
    count = sum(f.generation == started.generation for f in client.got.audio)
    await asyncio.sleep(0.5)
    assert sum(f.generation == started.generation for f in client.got.audio) == count
    # The interruption itself becomes the next user turn.
    await client.send_audio(silence(1.0))
    nxt = await client.wait_for("transcript.user.final", lambda e: e.turn == 2)
    assert "stop" in nxt.text.lower()
    await client.close()


async def test_push_to_talk_commit_ends_the_turn(server: LocalServer, tmp_path: Path) -> None:
    client = await connect(server, tools=[])
    await client.send(
        {"type": "session.update", "session": {"turn_detection": {"mode": "push_to_talk"}}}
    )
    updated = await client.wait_for("session.updated")
    assert updated.session["turn_detection"]["mode"] == "push_to_talk"
    await client.send({"type": "input_audio.commit", "event_id": "c0"})
    empty = await client.wait_for("error", lambda e: e.event_id == "c0")
    assert empty.code == "invalid_state"

    await client.send_audio(speech("Good morning to you.", tmp_path), realtime=False)
    await client.send_audio(silence(1.0), realtime=False)
    await asyncio.sleep(0.5)
    assert not client.of_type("transcript.user.final")  # silence does not end the turn
    await client.send({"type": "input_audio.commit"})
    user = await client.wait_for("transcript.user.final")
    assert "morning" in user.text.lower()
    await client.wait_for("response.done")
    await client.close()


async def test_a_tool_that_does_not_answer_becomes_an_error_result(server: LocalServer) -> None:
    client = await connect(server)
    await client.send({"type": "session.update", "session": {"tool_timeout_ms": 500}})
    await client.wait_for("session.updated")
    await client.send({"type": "input.text", "text": "What is the status of order 777?"})
    call = await client.wait_for("tool.call")
    timeout = await client.wait_for("error", lambda e: e.code == "tool_timeout", within=10)
    assert call.call_id in timeout.message
    completed = await client.wait_for("tool.call.completed")
    assert completed.is_error
    assert completed.duration_ms >= 450
    await client.wait_for("response.done")
    await client.send({"type": "tool.result", "call_id": call.call_id, "output": "late"})
    late = await client.wait_for("error", lambda e: e.code == "duplicate_tool_result")
    assert not late.fatal
    await client.close()
