"""A session lives on across a restart of the local server: resume, then carry on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from live_server import start_server, stop_server, wait_engines
from session_client import SessionClient

pytestmark = pytest.mark.engines


async def test_a_client_resumes_after_the_server_restarts(tmp_path: Path) -> None:
    first_run = start_server(tmp_path)
    try:
        await asyncio.to_thread(wait_engines, first_run)
        agent = first_run.create_agent(tools=[], name="Keeper")
        session = first_run.create_session(agent["id"])
        stream_url = session["websocket_url"] + "?client_stream=cs_restart"
        before = await SessionClient.connect(stream_url, first_run.key)
        created = await before.wait_for("session.created")
        hello = {"type": "input.text", "text": "Hello, my name is Ada.", "seq": 1}
        await before.send(hello)
        await before.wait_for("response.done", within=300)
        # The client saw everything up to the user's words; the rest it will miss.
        heard = before.of_type("transcript.user.final")[0]
        last_seq = heard.seq
        await before.drop()
    finally:
        stop_server(first_run)

    port = str(urlsplit(first_run.base_url).port)
    second_run = start_server(tmp_path, "--port", port)  # same data, same address
    try:
        await asyncio.to_thread(wait_engines, second_run)
        after = await SessionClient.connect(
            stream_url, second_run.key, last_seq=last_seq, resume_token=created.resume_token,
        )  # fmt: skip
        resumed = await after.wait_for("session.resumed", within=120)
        assert resumed.last_seq == last_seq
        missed = [e for e in after.events if e.seq < resumed.seq]
        assert [e.seq for e in missed] == list(range(last_seq + 1, resumed.seq))
        assert "transcript.agent.final" in [e.type for e in missed]
        assert "response.done" in [e.type for e in missed]

        # The conversation goes on where it was: the next turn, numbered after the first.
        await after.send({"type": "input.text", "text": "What is my name?"})
        final = await after.wait_for("transcript.agent.final", lambda e: e.turn == 2, within=300)
        assert "ada" in final.text.lower()
        seqs = [e.seq for e in after.events]
        assert seqs == sorted(set(seqs))
        stored = second_run.get(f"/v1/sessions/{session['session_id']}/transcript").json()
        assert [e["turn"] for e in stored["entries"] if e["role"] == "user"] == [1, 2]
        # The restarted server knows the client's first event was applied: a resend of it
        # (a client that never saw the ack) is acknowledged again, not applied again.
        assert resumed.client_seq == 1
        await after.send(hello)
        assert (await after.wait_for("ack", within=30)).client_seq == 1
        again = second_run.get(f"/v1/sessions/{session['session_id']}/transcript").json()
        assert [e["turn"] for e in again["entries"] if e["role"] == "user"] == [1, 2]
        await after.close()
    finally:
        stop_server(second_run)
