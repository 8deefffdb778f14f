"""Text turns, the greeting, the transcript route, and the handshake's close codes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from live_server import LocalServer, start_server, stop_server
from session_client import SessionClient

from nur_notebook.server.auth import create_api_key
from nur_notebook.server.store import Store

pytestmark = pytest.mark.engines


async def test_greeting_then_text_turn_with_audio_and_stored_transcript(
    server: LocalServer,
) -> None:
    agent = server.create_agent(tools=[], name="Greeter")
    session = server.create_session(agent["id"], initial_message="Hello! How can I help?")
    client = await SessionClient.connect(session["websocket_url"], server.key)
    created = await client.wait_for("session.created")
    assert created.session["id"] == session["session_id"]
    assert created.session["agent"]["id"] == agent["id"]
    assert created.session["output_audio"]["sample_rate"] == 24_000
    assert created.resume_token

    greeting = await client.wait_for("transcript.agent.final", lambda e: e.turn == 0)
    assert greeting.text == "Hello! How can I help?"
    assert not greeting.interrupted
    started = client.of_type("response.started")[0]
    frames = [f for f in client.got.audio if f.generation == started.generation]
    assert frames[-1].last
    pcm = np.frombuffer(b"".join(f.pcm for f in frames), dtype="<i2")
    seconds = pcm.size / 24_000
    assert 1.0 < seconds < 5.0
    assert np.abs(pcm).max() > 2_000  # speech, not silence

    await client.send({"type": "input.text", "text": "What are your opening hours?"})
    user = await client.wait_for("transcript.user.final")
    assert user.turn == 1
    assert user.text == "What are your opening hours?"
    final = await client.wait_for("transcript.agent.final", lambda e: e.turn == 1)
    deltas = [e.text for e in client.of_type("transcript.agent.delta") if e.turn == 1]
    assert final.text == "".join(deltas).strip()
    assert len(final.text) > 5
    done = await client.wait_for("response.done", lambda e: e.turn == 1)
    assert done.status == "completed"
    metrics = await client.wait_for("metrics.turn", lambda e: e.turn == 1)
    assert metrics.stt_ms is None  # typed: no speech recognition
    assert metrics.llm_first_token_ms is not None
    assert metrics.tts_first_audio_ms is not None
    seqs = [e.seq for e in client.events]
    assert seqs == list(range(1, len(seqs) + 1))
    await client.close()

    stored = server.get(f"/v1/sessions/{session['session_id']}/transcript").json()
    assert [(e["turn"], e["role"], e["text"]) for e in stored["entries"]] == [
        (0, "agent", "Hello! How can I help?"),
        (1, "user", "What are your opening hours?"),
        (1, "agent", final.text),
    ]
    assert stored["metrics"][0]["turn"] == 1


async def test_handshake_refusals(server: LocalServer) -> None:
    agent = server.create_agent(tools=[])
    session = server.create_session(agent["id"])
    url = session["websocket_url"]

    no_key = await SessionClient.connect(url, None)
    assert await no_key.wait_closed() == 4001
    wrong = await SessionClient.connect(url, "nur_sk_not_a_key")
    assert await wrong.wait_closed() == 4001
    missing = await SessionClient.connect(url.rsplit("/", 1)[0] + "/ses_missing", server.key)
    assert await missing.wait_closed() == 4004

    store = Store(server.data_dir / "nur.sqlite3")
    try:
        other_key = create_api_key(store, label="someone else").secret
    finally:
        store.close()
    other = await SessionClient.connect(url, other_key)
    assert await other.wait_closed() == 4004
    assert server.get(f"/v1/sessions/{session['session_id']}").json()["status"] == "active"


async def test_a_new_connection_replaces_the_old_one(server: LocalServer) -> None:
    agent = server.create_agent(tools=[])
    session = server.create_session(agent["id"])
    first = await SessionClient.connect(session["websocket_url"], server.key)
    await first.wait_for("session.created")
    second = await SessionClient.connect(session["websocket_url"], server.key)
    await second.wait_for("session.created")
    assert await first.wait_closed() == 4009
    await second.send({"type": "ping", "event_id": "p1"})
    pong = await second.wait_for("pong")
    assert pong.event_id == "p1"
    await second.close()


def test_sessions_opened_while_engines_load_wait_for_them(server: LocalServer) -> None:
    # The fixture's first connection came right after start-up (REST already answered).
    kinds = [e.type for e in server.probe_events]
    assert kinds[:2] == ["session.loading", "session.created"]
    assert server.probe_events[0].stage in ("engines", "weights", "vad", "stt", "brain", "tts")


async def test_a_server_without_engines_refuses_sessions_with_an_error(tmp_path: Path) -> None:
    rest_only = start_server(tmp_path, "--no-engines")
    try:
        agent = rest_only.create_agent(tools=[])
        session = rest_only.create_session(agent["id"])
        client = await SessionClient.connect(session["websocket_url"], rest_only.key)
        assert await client.wait_closed() == 1011
        error = client.of_type("error")[0]
        assert error.code == "engines_unavailable"
        assert error.fatal
    finally:
        stop_server(rest_only)


async def test_a_spanish_agent_answers_in_spanish_with_an_espeak_voice(
    server: LocalServer,
) -> None:
    agent = server.create_agent(
        tools=[],
        language="es",
        voice_id="espeak_f",
        system_prompt="Eres un asistente amable. Responde siempre en español, en una frase corta.",
    )
    session = server.create_session(agent["id"])
    client = await SessionClient.connect(session["websocket_url"], server.key)
    created = await client.wait_for("session.created")
    assert created.session["agent"]["language"] == "es"
    await client.send({"type": "input.text", "text": "Hola, ¿qué tal estás hoy?"})
    final = await client.wait_for("transcript.agent.final")
    assert final.text
    started = client.of_type("response.started")[0]
    pcm = b"".join(f.pcm for f in client.got.audio if f.generation == started.generation)
    assert len(pcm) / 2 / 24_000 > 0.5
    english = {"the", "and", "you", "are", "is"}
    assert not english & set(final.text.lower().replace(",", " ").replace(".", " ").split())
    await client.close()


async def test_response_cancel_stops_the_greeting_at_once(server: LocalServer) -> None:
    agent = server.create_agent(tools=[])
    greeting = (
        "Welcome to the shop. We sell shoes, boots and sandals for every season. "
        "Today everything in the store is ten percent off. How can I help you?"
    )
    session = server.create_session(agent["id"], initial_message=greeting)
    client = await SessionClient.connect(session["websocket_url"], server.key)
    started = await client.wait_for("response.started")
    await client.wait_audio(started.generation)
    await asyncio.sleep(1.0)
    await client.send({"type": "response.cancel"})
    interrupted = await client.wait_for("response.interrupted", within=10)
    assert interrupted.played_ms < 3_000
    final = await client.wait_for("transcript.agent.final")
    assert final.interrupted
    assert final.text
    assert greeting.startswith(final.text.removesuffix("...").split(".")[0])
    assert len(final.text) < len(greeting)
    done = await client.wait_for("response.done")
    assert done.status == "cancelled"
    stored = server.get(f"/v1/sessions/{session['session_id']}/transcript").json()
    assert stored["entries"][0]["interrupted"] is True
    assert stored["entries"][0]["text"] == final.text
    await client.close()


async def test_an_order_question_without_a_number_gets_asked_for_it(server: LocalServer) -> None:
    agent = server.create_agent()  # the support agent with lookup_order
    session = server.create_session(agent["id"])
    client = await SessionClient.connect(session["websocket_url"], server.key)
    await client.wait_for("session.created")
    await client.send({"type": "input.text", "text": "Where is my order?"})
    asked = await client.wait_for("transcript.agent.final", lambda e: e.turn == 1, within=300)
    # No tool ran with a made-up number; the agent asked for the real one instead.
    assert client.of_type("tool.call") == []
    assert any(word in asked.text.lower() for word in ("order", "number", "id")), asked.text
    await client.wait_for("response.done", lambda e: e.turn == 1)
    await client.send({"type": "input.text", "text": "It is 48213."})
    call = await client.wait_for("tool.call", within=300)
    assert call.name == "lookup_order"
    assert call.arguments == {"order_id": "48213"}
    await client.send(
        {"type": "tool.result", "call_id": call.call_id, "output": {"status": "shipped"}}
    )
    await client.wait_for("response.done", lambda e: e.turn == 2, within=300)
    await client.close()


def test_health_reports_the_engines_that_were_loaded(server: LocalServer) -> None:
    engines = server.get("/health").json()["engines"]
    assert engines["state"] == "ready"
    names = engines["names"]
    assert names["vad"] == "silero"
    assert names["stt"].startswith("faster-whisper tiny.en")
    assert names["brain"].startswith("llama-cpp ")
    assert names["tts"] == "piper + espeak-ng"
