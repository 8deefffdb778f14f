"""Bad input gets the documented error or close code and disturbs nobody else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct

import pytest
import websockets
from live_server import LocalServer
from session_client import SessionClient

from nur_notebook.protocol.frames import AudioFrame, FrameKind, encode_frame

pytestmark = pytest.mark.engines


async def open_client(server: LocalServer) -> SessionClient:
    agent = server.create_agent(tools=[])
    session = server.create_session(agent["id"])
    client = await SessionClient.connect(session["websocket_url"], server.key)
    await client.wait_for("session.created")
    return client


async def expect_error(client: SessionClient, payload: str | bytes, code: str) -> None:
    start = len(client.events)
    await client.send_raw(payload)
    error = await client.wait_for("error", start=start, within=10)
    assert error.code == code, error
    assert not error.fatal


def audio_frame(pcm: bytes, *, kind: FrameKind = FrameKind.INPUT) -> bytes:
    return encode_frame(AudioFrame(kind=kind, pcm=pcm))


async def test_each_bad_frame_gets_its_error_and_the_session_goes_on(
    server: LocalServer,
) -> None:
    client = await open_client(server)
    bystander = await open_client(server)

    await expect_error(client, "{not json", "invalid_json")
    await expect_error(client, "[1, 2]", "invalid_event")
    await expect_error(client, json.dumps({"type": "session.explode"}), "unknown_event")
    await expect_error(client, json.dumps({"type": "input.text"}), "invalid_event")
    await expect_error(client, json.dumps({"type": "input.text", "text": 5}), "invalid_event")
    await expect_error(
        client, json.dumps({"type": "input.text", "text": "x", "extra": 1}), "invalid_event"
    )
    await expect_error(
        client,
        json.dumps({"type": "session.update", "session": {"tool_timeout_ms": -1}}),
        "invalid_event",
    )
    await expect_error(client, "x" * 70_000, "event_too_large")
    await expect_error(client, b"\x01\x00", "invalid_audio_frame")  # shorter than a header
    await expect_error(
        client, audio_frame(b"\x00" * 640, kind=FrameKind.OUTPUT), "invalid_audio_frame"
    )
    await expect_error(client, audio_frame(b"\x00" * 641), "invalid_audio_frame")
    await expect_error(
        client, struct.pack("<BBHI", 1, 0x80, 0, 0) + b"\x00" * 64, "invalid_audio_frame"
    )
    await expect_error(client, audio_frame(b"\x00" * 32_002), "audio_frame_too_large")
    await expect_error(
        client,
        json.dumps({"type": "tool.result", "call_id": "call_nope", "output": 1}),
        "unknown_call_id",
    )
    start = len(client.events)
    await client.send({"type": "input.text", "text": "x", "event_id": "evt_7", "bogus": True})
    echoed = await client.wait_for("error", start=start)
    assert echoed.event_id == "evt_7"

    # Still alive, still in order; the other session saw none of it.
    await client.send({"type": "ping", "event_id": "after"})
    assert (await client.wait_for("pong")).event_id == "after"
    seqs = [e.seq for e in client.events]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e.type for e in bystander.events] == ["session.created"]
    await client.close()
    await bystander.close()


async def test_a_frame_over_the_transport_limit_closes_with_1009(server: LocalServer) -> None:
    client = await open_client(server)
    await client.send_raw(audio_frame(b"\x00" * (1_048_576 + 2)))
    assert await client.wait_closed() == 1009


async def test_floods_are_rate_limited_then_disconnected(server: LocalServer) -> None:
    client = await open_client(server)
    bystander = await open_client(server)
    for _ in range(150):  # the burst allows 100 events
        await client.send({"type": "ping"})
    limited = await client.wait_for("error", lambda e: e.code == "rate_limited")
    assert not limited.fatal
    assert len(client.of_type("error")) == 1  # one error per run of drops, not one per drop
    await asyncio.sleep(1.0)  # a quiet second: the bucket refills (time, not an event)
    await client.send({"type": "ping", "event_id": "recovered"})
    assert (await client.wait_for("pong", lambda e: e.event_id == "recovered")).seq > 0
    # Answered in order: every pong of the burst came before the one of "recovered".
    pongs = len([e for e in client.of_type("pong") if e.event_id != "recovered"])
    assert 100 <= pongs < 150

    # Audio: 8 s of it in a burst passes, then 200 frames dropped in a row close. A flooder
    # sends one-second frames (a frame counts by its length) until it is cut off.
    frame, sent = audio_frame(b"\x00" * 32_000), 0
    with contextlib.suppress(websockets.ConnectionClosed):
        while not any(e.fatal for e in client.of_type("error")) and sent < 5_000:
            await client.send_raw(frame)
            sent += 1
            if sent % 20 == 0:
                await asyncio.sleep(0)  # the reader takes in what the server said
    assert sent >= 208
    fatal = await client.wait_for("error", lambda e: e.fatal, within=10)
    assert fatal.code == "rate_limited"
    assert await client.wait_closed() == 4008

    await bystander.send({"type": "ping", "event_id": "calm"})
    assert (await bystander.wait_for("pong")).event_id == "calm"
    await bystander.close()


async def test_two_sessions_talk_at_the_same_time(server: LocalServer) -> None:
    first, second = await open_client(server), await open_client(server)
    await first.send({"type": "input.text", "text": "Say hello to Alice in one short sentence."})
    await second.send({"type": "input.text", "text": "Say hello to Bob in one short sentence."})
    done = await asyncio.gather(
        first.wait_for("response.done", within=300), second.wait_for("response.done", within=300)
    )
    assert [d.status for d in done] == ["completed", "completed"]
    a = (await first.wait_for("transcript.agent.final")).text
    b = (await second.wait_for("transcript.agent.final")).text
    assert "alice" in a.lower()
    assert "bob" in b.lower()
    assert first.got.audio
    assert second.got.audio
    for client in (first, second):
        users = client.of_type("transcript.user.final")
        assert len(users) == 1
        await client.close()
