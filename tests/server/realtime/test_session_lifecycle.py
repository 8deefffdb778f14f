"""How sessions end (max_turns, expiry, agent deletion) and resume after a dropped link."""

from __future__ import annotations

import asyncio
import time

import pytest
from live_server import LocalServer
from session_client import SessionClient

from nur_notebook.protocol.events import NOT_REPLAYED

pytestmark = pytest.mark.engines


async def open_session(server: LocalServer, **agent: object) -> tuple[dict, SessionClient]:
    created = server.create_agent(tools=[], **agent)
    session = server.create_session(created["id"])
    client = await SessionClient.connect(session["websocket_url"], server.key)
    await client.wait_for("session.created")
    return session, client


def status_of(server: LocalServer, session: dict) -> str:
    status: str = server.get(f"/v1/sessions/{session['session_id']}").json()["status"]
    return status


async def assert_over(
    server: LocalServer, session: dict, client: SessionClient, *, status: str
) -> None:
    """The socket closed normally, the session reads ``status``, and it cannot be rejoined."""
    assert await client.wait_closed() == 1000
    assert status_of(server, session) == status
    again = await SessionClient.connect(session["websocket_url"], server.key)
    assert await again.wait_closed() == 4010


async def test_max_turns_says_goodbye_and_ends(server: LocalServer) -> None:
    session, client = await open_session(server, max_turns=1)
    await client.send({"type": "input.text", "text": "Hi there!"})
    ended = await client.wait_for("session.ended")
    assert ended.reason == "max_turns"
    finals = [e for e in client.of_type("transcript.agent.final") if e.turn == 1]
    assert len(finals) == 2
    assert "goodbye" in finals[1].text.lower()
    await assert_over(server, session, client, status="ended")


async def test_session_end_from_the_client_ends_it_mid_reply(server: LocalServer) -> None:
    session, client = await open_session(server)
    await client.send({"type": "input.text", "text": "Tell me about your shop."})
    await client.wait_for("response.started", within=60)
    await client.send({"type": "session.end"})
    ended = await client.wait_for("session.ended", within=10)
    assert ended.reason == "client_ended"
    assert client.of_type("response.done")[-1].status == "cancelled"
    await assert_over(server, session, client, status="ended")


async def test_expiry_ends_a_live_session(server: LocalServer) -> None:
    created = server.create_agent(tools=[])
    session = server.create_session(created["id"])
    server.set_expires_at(session["session_id"], time.time() + 2.0)
    client = await SessionClient.connect(session["websocket_url"], server.key)
    await client.wait_for("session.created")
    ended = await client.wait_for("session.ended", within=10)
    assert ended.reason == "expired"
    await assert_over(server, session, client, status="expired")


async def test_deleting_the_agent_ends_its_live_session(server: LocalServer) -> None:
    session, client = await open_session(server)
    with server.http() as http:
        assert http.delete(f"/v1/agents/{session['agent_id']}").status_code in (200, 204)
    ended = await client.wait_for("session.ended", within=10)
    assert ended.reason == "agent_deleted"
    assert await client.wait_closed() == 1000
    assert status_of(server, session) == "ended"


async def test_a_dropped_connection_resumes_without_losing_or_repeating_events(
    server: LocalServer,
) -> None:
    session, first = await open_session(server)
    token = first.events[0].resume_token
    await first.send(
        {"type": "input.text", "text": "Describe a sunny beach in three short sentences."}
    )
    await first.wait_for("transcript.agent.delta")
    await first.drop()
    seen = list(first.events)
    last_seq = seen[-1].seq
    await asyncio.sleep(1.0)  # the reply goes on while nobody listens

    bad = await SessionClient.connect(
        session["websocket_url"], server.key, last_seq=last_seq, resume_token="rsm_wrong"
    )
    assert await bad.wait_closed() == 4011
    ahead = await SessionClient.connect(
        session["websocket_url"], server.key, last_seq=10_000, resume_token=token
    )
    assert await ahead.wait_closed() == 4011

    second = await SessionClient.connect(
        session["websocket_url"], server.key, last_seq=last_seq, resume_token=token
    )
    resumed = await second.wait_for("session.resumed")
    assert resumed.last_seq == last_seq
    await second.wait_for("response.done", within=300)
    events = seen + second.events
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs)), "an event was repeated or came out of order"
    replayable = [e for e in events if e.type not in NOT_REPLAYED]
    missing = set(range(1, seqs[-1] + 1)) - set(seqs)
    assert not missing, f"events lost: {sorted(missing)}"
    assert resumed.replayed == len([e for e in second.events if e.seq < resumed.seq])
    final = next(e for e in events if e.type == "transcript.agent.final")
    deltas = "".join(e.text for e in replayable if e.type == "transcript.agent.delta")
    assert final.text == deltas.strip()
    assert not final.interrupted
    await second.close()
    stored = server.get(f"/v1/sessions/{session['session_id']}/transcript").json()
    assert stored["entries"][-1]["text"] == final.text
