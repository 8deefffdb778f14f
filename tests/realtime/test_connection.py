"""The session connection against the real local server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from nur_server_process import LOOKUP_ORDER
from session_server import CHAT_PROMPT, SUPPORT_PROMPT, Server, speech_wav

from nur_notebook.client import AsyncNurClient, NurError
from nur_notebook.realtime import (
    AsyncSessionConnection,
    ResponseAudio,
    SessionClosedError,
    SessionConnectionError,
)
from nur_notebook.realtime.audio import wav_to_pcm16

TURN_TIMEOUT = 300.0  # generous: the CPU is shared with other work


async def _until(conn: AsyncSessionConnection, kind: str, *, turn: int | None = None) -> list[Any]:
    """Every event up to and including the first ``kind`` (of ``turn``, when given)."""
    seen: list[Any] = []
    async with asyncio.timeout(TURN_TIMEOUT):
        async for event in conn:
            seen.append(event)
            if event.type == kind and (turn is None or getattr(event, "turn", None) == turn):
                return seen
    raise AssertionError(f"the session ended before {kind}: {[e.type for e in seen]}")


async def _drain(conn: AsyncSessionConnection) -> None:
    async for _ in conn:
        pass


async def _session(client: AsyncNurClient, **agent: Any) -> Any:
    made = await client.agents.create(
        name="Support",
        voice_id="joe",
        system_prompt=agent.pop("system_prompt", SUPPORT_PROMPT),
        tools=agent.pop("tools", [LOOKUP_ORDER]),
        **agent,
    )
    return await client.agents.sessions.create(agent_id=made.id)


# --- Refusals: no engines needed --------------------------------------------------


async def test_a_wrong_key_is_refused_when_entering(rest_server: Server) -> None:
    async with rest_server.client() as client:
        session = await _session(client)
    conn = AsyncSessionConnection(session.websocket_url, api_key="nur_sk_wrong")
    with pytest.raises(SessionClosedError) as caught:
        await conn.open()
    assert caught.value.code == 4001
    assert "invalid API key" in str(caught.value)
    assert isinstance(caught.value, NurError)


async def test_an_unknown_session_is_refused(rest_server: Server) -> None:
    async with rest_server.client() as client:
        conn = client.agents.sessions.connect("ses_doesnotexist")
        with pytest.raises(SessionClosedError) as caught:
            async with conn:
                pass
    assert caught.value.code == 4004


async def test_a_server_without_engines_fails_once_with_its_reason(rest_server: Server) -> None:
    async with rest_server.client() as client:
        session = await _session(client)
        conn = client.agents.sessions.connect(session)
        with pytest.raises(SessionClosedError, match=r"engines|speech") as caught:
            await conn.open()
    assert caught.value.code == 1011  # reconnecting could not help: no retry loop


async def test_nothing_listening_is_a_clear_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = AsyncSessionConnection(f"ws://127.0.0.1:{port}/v1/sessions/ses_x", api_key="k")
    with pytest.raises(SessionConnectionError, match="cannot open the session socket"):
        await conn.open()


def test_the_blocking_variant_raises_refusals_and_leaves_no_thread(rest_server: Server) -> None:
    from nur_notebook.client import NurClient

    with NurClient(api_key=rest_server.api_key, base_url=rest_server.base_url) as client:
        conn = client.agents.sessions.connect("ses_doesnotexist")
        with pytest.raises(SessionClosedError) as caught, conn:
            pass
    assert caught.value.code == 4004
    assert not [t for t in threading.enumerate() if t.name == "nur-session"]
    with pytest.raises(RuntimeError, match="not open"):
        conn.send_text("hello")


def test_only_websocket_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="ws://"):
        AsyncSessionConnection("http://127.0.0.1:1/v1/sessions/ses_x")


# --- Real sessions ----------------------------------------------------------------


@pytest.mark.engines
async def test_a_typed_turn_round_trip(client: AsyncNurClient) -> None:
    session = await _session(client, system_prompt=CHAT_PROMPT, tools=[])
    async with client.agents.sessions.connect(session) as conn:
        await conn.send_text("Hello! What can you help me with?")
        events = await _until(conn, "metrics.turn")
    kinds = [e.type for e in events]
    assert kinds[0] in ("session.created", "session.loading")
    assert "session.created" in kinds
    user = next(e for e in events if e.type == "transcript.user.final")
    assert user.text == "Hello! What can you help me with?"
    started = next(e for e in events if e.type == "response.started")
    deltas = "".join(e.text for e in events if e.type == "transcript.agent.delta")
    final = next(e for e in events if e.type == "transcript.agent.final")
    assert final.text.strip()
    assert deltas.strip() == final.text.strip()
    audio = [e for e in events if isinstance(e, ResponseAudio)]
    assert audio, "the agent's reply came with audio"
    assert {a.generation for a in audio} == {started.generation}
    assert {a.sample_rate for a in audio} == {conn.output_sample_rate} == {24_000}
    assert sum(a.duration_ms for a in audio) > 500
    assert audio[-1].last
    done = next(e for e in events if e.type == "response.done")
    assert done.status == "completed"
    metrics = events[-1]
    assert metrics.turn == user.turn
    assert metrics.voice_to_voice_ms is not None
    seqs = [e.seq for e in events if e.seq]
    assert seqs == sorted(set(seqs))


def sync_lookup(order_id: str) -> dict[str, str]:
    return {"order_id": order_id, "status": "shipped"}


async def async_lookup(order_id: str) -> dict[str, str]:
    await asyncio.sleep(0.05)
    return {"order_id": order_id, "status": "shipped"}


def raising_lookup(order_id: str) -> dict[str, str]:
    raise LookupError(f"no order {order_id} in the database")


@pytest.mark.engines
@pytest.mark.parametrize("handler", [sync_lookup, async_lookup, raising_lookup])
async def test_tool_calls_are_answered_automatically(client: AsyncNurClient, handler: Any) -> None:
    calls: list[str] = []

    def recording(order_id: str) -> Any:
        calls.append(order_id)
        return handler(order_id)

    async def recording_async(order_id: str) -> Any:
        calls.append(order_id)
        return await handler(order_id)

    tool = recording_async if asyncio.iscoroutinefunction(handler) else recording
    session = await _session(client)
    async with client.agents.sessions.connect(session, tools={"lookup_order": tool}) as conn:
        await conn.send_text("Where is my order 12345?")
        events = await _until(conn, "response.done")
    call = next(e for e in events if e.type == "tool.call")
    assert call.name == "lookup_order"
    assert "12345" in str(call.arguments.get("order_id"))
    assert calls == [call.arguments["order_id"]]
    completed = next(e for e in events if e.type == "tool.call.completed")
    assert completed.call_id == call.call_id
    if handler is raising_lookup:
        assert completed.is_error
        assert completed.output == f"LookupError: no order {calls[0]} in the database"
    else:
        assert not completed.is_error
        assert completed.output == {"order_id": calls[0], "status": "shipped"}
    assert not [e for e in events if e.type == "error"]


@pytest.mark.engines
async def test_a_connection_dropped_mid_reply_resumes_with_no_event_lost_or_repeated(
    client: AsyncNurClient,
) -> None:
    session = await _session(client, system_prompt=CHAT_PROMPT, tools=[])
    events: list[Any] = []
    async with client.agents.sessions.connect(session) as conn:
        await conn.send_text("Tell me about the history of the bicycle.")
        dropped_at: int | None = None
        async with asyncio.timeout(TURN_TIMEOUT):
            async for event in conn:
                events.append(event)
                if dropped_at is None and isinstance(event, ResponseAudio):
                    ws = conn.websocket
                    assert ws is not None
                    ws.transport.abort()  # the network goes away mid-reply: no close frame
                    dropped_at = len(events)
                if event.type == "metrics.turn":
                    break
        resume_token = conn.resume_token
    assert dropped_at is not None
    kinds = [e.type for e in events]
    reconnecting = kinds.index("connection.reconnecting")
    resumed = kinds.index("connection.resumed")
    assert dropped_at <= reconnecting < resumed
    assert events[reconnecting].code == 1006
    assert events[resumed].replayed >= 0
    assert resume_token is not None
    # Every numbered event arrived once, in order, with no gap across the drop.
    seqs = [e.seq for e in events if e.seq]
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
    assert kinds.count("transcript.agent.final") == 1
    assert kinds.count("response.done") == 1
    deltas = "".join(e.text for e in events if e.type == "transcript.agent.delta")
    final = next(e for e in events if e.type == "transcript.agent.final")
    assert deltas.strip() == final.text.strip()
    # What the client saw is what the server stored.
    stored = await client.sessions.transcript(session.session_id)
    agent_lines = [e["text"] for e in stored["entries"] if e["role"] == "agent"]
    assert agent_lines == [final.text]


@pytest.mark.engines
def test_the_blocking_variant_for_scripts(server: Server) -> None:
    from nur_notebook.client import NurClient

    with NurClient(api_key=server.api_key, base_url=server.base_url) as client:
        agent = client.agents.create(
            name="Support", voice_id="joe", system_prompt=SUPPORT_PROMPT, tools=[LOOKUP_ORDER]
        )
        session = client.agents.sessions.create(agent_id=agent.id)
        conn = client.agents.sessions.connect(session, tools={"lookup_order": sync_lookup})
        with conn:
            conn.send_text("Where is my order 12345?")
            events = []
            for event in conn:
                events.append(event)
                if event.type == "response.done":
                    break
            # The connection reads ahead of the iterator (it answers tools meanwhile).
            assert conn.last_seq >= max(e.seq for e in events)
            # The typed turn and the tool's result were both acknowledged by the server.
            assert conn.unacknowledged == 0
        # Closed: what was read ahead is still delivered, then the iterator ends.
        rest = list(conn)
        assert all(e.seq > events[-1].seq for e in rest if e.seq)
        with pytest.raises(StopIteration):
            next(conn)
    kinds = [e.type for e in events]
    assert "tool.call" in kinds
    completed = next(e for e in events if e.type == "tool.call.completed")
    assert completed.output["status"] == "shipped"
    assert any(isinstance(e, ResponseAudio) for e in events)


@pytest.mark.engines
async def test_a_session_that_ends_stops_the_iterator_and_refuses_reconnects(
    client: AsyncNurClient,
) -> None:
    session = await _session(client, system_prompt=CHAT_PROMPT, tools=[], max_turns=1)
    events: list[Any] = []
    async with client.agents.sessions.connect(session) as conn:
        await conn.send_text("Hi there!")
        async with asyncio.timeout(TURN_TIMEOUT):
            events = [event async for event in conn]  # ends by itself, without an error
    ended = [e for e in events if e.type == "session.ended"]
    assert [e.reason for e in ended] == ["max_turns"]
    assert events[-1].type == "session.ended"
    with pytest.raises(SessionClosedError) as caught:
        async with client.agents.sessions.connect(session):
            pass
    assert caught.value.code == 4010


@pytest.mark.engines
async def test_end_ends_the_session_and_the_iterator(client: AsyncNurClient) -> None:
    session = await _session(client, system_prompt=CHAT_PROMPT, tools=[])
    async with client.agents.sessions.connect(session) as conn:
        await _until(conn, "session.created")
        await conn.end()
        async with asyncio.timeout(TURN_TIMEOUT):
            events = [event async for event in conn]  # no reconnect after the end
    assert [e.reason for e in events if e.type == "session.ended"] == ["client_ended"]
    assert (await client.sessions.retrieve(session.session_id)).status == "ended"


@pytest.mark.engines
async def test_a_newer_connection_replaces_the_older_one(client: AsyncNurClient) -> None:
    session = await _session(client, system_prompt=CHAT_PROMPT, tools=[])
    async with client.agents.sessions.connect(session) as first:
        async with client.agents.sessions.connect(session) as second:
            with pytest.raises(SessionClosedError) as caught:
                await asyncio.wait_for(_drain(first), 30)
            assert caught.value.code == 4009
            assert second.connected


@pytest.mark.engines
async def test_push_to_talk_audio_is_framed_and_committed(
    client: AsyncNurClient, tmp_path: Path
) -> None:
    pcm = wav_to_pcm16(speech_wav("What is the weather like on Mars?", tmp_path / "q.wav"))
    session = await _session(client, system_prompt=CHAT_PROMPT, tools=[])
    async with client.agents.sessions.connect(session) as conn:
        await conn.update(turn_detection={"mode": "push_to_talk"})
        updated = await _until(conn, "session.updated")
        assert updated[-1].session["turn_detection"]["mode"] == "push_to_talk"
        for start in range(0, len(pcm), 999):  # odd-sized pieces: the framer evens them out
            await conn.send_audio(pcm[start : start + 999])
        await conn.commit()  # sends the buffered tail, then ends the turn
        events = await _until(conn, "response.done")
    user = next(e for e in events if e.type == "transcript.user.final")
    assert "weather" in user.text.lower()
    assert "mars" in user.text.lower()
    assert not [e for e in events if e.type == "error"]


@pytest.mark.engines
async def test_a_tool_result_is_delivered_across_a_reconnect(client: AsyncNurClient) -> None:
    calls: list[str] = []

    def slow_lookup(order_id: str) -> dict[str, str]:
        calls.append(order_id)
        threading.Event().wait(0.5)  # still running when the socket drops
        return {"order_id": order_id, "status": "shipped"}

    session = await _session(client)
    events: list[Any] = []
    async with client.agents.sessions.connect(session, tools={"lookup_order": slow_lookup}) as conn:
        await conn.send_text("Where is my order 12345?")
        async with asyncio.timeout(TURN_TIMEOUT):
            async for event in conn:
                events.append(event)
                if event.type == "tool.call":
                    ws = conn.websocket
                    assert ws is not None
                    ws.transport.abort()
                if event.type == "response.done":
                    break
    kinds = [e.type for e in events]
    assert kinds.count("tool.call") == 1  # the replay does not show it again
    assert "connection.resumed" in kinds
    assert len(calls) == 1  # nor run it twice
    completed = next(e for e in events if e.type == "tool.call.completed")
    assert not completed.is_error
    assert completed.output == {"order_id": calls[0], "status": "shipped"}
    seqs = [e.seq for e in events if e.seq]
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
