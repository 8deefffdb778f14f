"""Hostile frames cost one log line each, not a traceback, and disturb no other session."""

from __future__ import annotations

import pytest
from live_server import LocalServer
from session_client import SessionClient

pytestmark = pytest.mark.engines

ATTACKS = 60


async def open_client(server: LocalServer) -> SessionClient:
    agent = server.create_agent(tools=[], system_prompt="Answer in one word.")
    session = server.create_session(agent["id"])
    client = await SessionClient.connect(session["websocket_url"], server.key)
    await client.wait_for("session.created")
    return client


async def test_text_frames_of_invalid_utf8_close_with_1007_and_log_one_line_each(
    server: LocalServer,
) -> None:
    log = server.data_dir / "server.log"
    logged_before = log.stat().st_size
    bystander = await open_client(server)
    await bystander.send({"type": "input.text", "text": "Name a colour."})
    codes = []
    for n in range(ATTACKS):
        attacker = await open_client(server)
        await attacker.ws.send(b'{"type": "ping", "x": "\xff\xfe' + bytes([n]) + b'"}', text=True)
        codes.append(await attacker.wait_closed(within=10))
    # Meanwhile the other session was answered, and it still answers pings.
    done = await bystander.wait_for("response.done", within=180)
    assert done.status == "completed"
    await bystander.send({"type": "ping", "event_id": "after"})
    assert (await bystander.wait_for("pong", within=10)).event_id == "after"
    await bystander.close()
    assert codes == [1007] * ATTACKS
    with log.open("rb") as handle:
        handle.seek(logged_before)
        written = handle.read().decode("utf-8", "replace")
    assert "Traceback" not in written
    assert written.count("not UTF-8") == ATTACKS
    assert len(written.splitlines()) <= ATTACKS + 5


async def test_a_malformed_client_stream_is_refused_and_nothing_else_changes(
    server: LocalServer,
) -> None:
    agent = server.create_agent(tools=[])
    session = server.create_session(agent["id"])
    url = session["websocket_url"] + "?client_stream=" + "x" * 65
    bad = await SessionClient.connect(url, server.key)
    error = await bad.wait_for("error", within=10)
    assert error.code == "invalid_event"
    assert await bad.wait_closed() == 1008
    good = await SessionClient.connect(session["websocket_url"], server.key)
    created = await good.wait_for("session.created")
    assert created.client_seq == 0
    await good.close()


async def test_a_resent_event_is_applied_once_and_acknowledged_again(server: LocalServer) -> None:
    agent = server.create_agent(tools=[])
    session = server.create_session(agent["id"])
    url = session["websocket_url"] + "?client_stream=cs_test1"
    first = await SessionClient.connect(url, server.key)
    created = await first.wait_for("session.created")
    assert created.client_seq == 0
    update = {"type": "session.update", "session": {"tool_timeout_ms": 2000}, "seq": 1}
    await first.send(update)
    assert (await first.wait_for("ack")).client_seq == 1
    await first.send({**update, "seq": 0})  # out of range: an error, nothing applied
    assert (await first.wait_for("error")).code == "invalid_event"
    await first.drop()
    last_seq = max(e.seq for e in first.events)
    resumed_url = url + f"&last_seq={last_seq}&resume_token={created.resume_token}"
    second = await SessionClient.connect(resumed_url, server.key)
    resumed = await second.wait_for("session.resumed")
    assert resumed.client_seq == 1
    start = len(second.events)
    await second.send(update)  # the resend of an event applied before
    await second.send({"type": "ping", "event_id": "p", "seq": 2})
    await second.wait_for("pong", start=start)
    # The ping's ack follows its pong: wait for it, not just for the pong.
    await second.wait_for("ack", lambda e: e.client_seq == 2, start=start)
    kinds = [e.type for e in second.events[start:]]
    assert "session.updated" not in kinds  # applied once only
    assert [e.client_seq for e in second.events[start:] if e.type == "ack"] == [1, 2]
    await second.close()


async def test_an_unnumbered_client_gets_no_acks(server: LocalServer) -> None:
    client = await open_client(server)
    await client.send({"type": "ping", "event_id": "p"})
    await client.wait_for("pong")
    await client.close()
    assert "ack" not in [e.type for e in client.events]
