"""Sessions: the seed's curl example, the websocket URL, expiry and status."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from fastapi import FastAPI
from rest_support import asgi_client, create_agent, error_of

from nur_notebook.server.store import AgentRecord, SessionRecord

SESSION_FIELDS = {"session_id", "agent_id", "websocket_url", "created_at", "expires_at", "status"}


def parse(timestamp: str) -> datetime:
    assert timestamp.endswith("Z")
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


async def test_seed_create_session_curl_example(app: FastAPI, http: httpx.AsyncClient) -> None:
    agent = await create_agent(http)
    response = await http.post(
        f"/v1/agents/{agent['id']}/sessions",
        json={
            "metadata": {"user_id": "usr_456", "channel": "web"},
            "initial_message": "Hello! How can I help you today?",
        },
    )
    assert response.status_code == 200
    session = response.json()
    assert set(session) == SESSION_FIELDS
    assert re.fullmatch(r"ses_[A-Za-z0-9]{16,}", session["session_id"])
    assert session["agent_id"] == agent["id"]
    assert session["status"] == "active"
    assert session["websocket_url"] == f"ws://127.0.0.1:8787/v1/sessions/{session['session_id']}"
    lifetime = parse(session["expires_at"]) - parse(session["created_at"])
    assert lifetime.total_seconds() == 3600
    # The store keeps what the session runtime needs.
    record = app.state.store.get_session(session["session_id"])
    assert record.metadata == {"user_id": "usr_456", "channel": "web"}
    assert record.initial_message == "Hello! How can I help you today?"


async def test_a_session_needs_no_body(http: httpx.AsyncClient) -> None:
    agent = await create_agent(http)
    path = f"/v1/agents/{agent['id']}/sessions"
    for response in [
        await http.post(path),
        await http.post(path, json={}),
        await http.post(path, json={"agent_id": agent["id"]}),
    ]:
        assert response.status_code == 200, response.text


async def test_websocket_url_follows_the_request_host_and_scheme(app: FastAPI) -> None:
    key = app.state.bootstrap_key.secret
    async with asgi_client(app, key) as http:
        agent = await create_agent(http)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {key}"}
    for base, expected in [
        ("http://localhost:9999", "ws://localhost:9999/v1/sessions/"),
        ("https://nur.example.test", "wss://nur.example.test/v1/sessions/"),
    ]:
        async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as http:
            session = (await http.post(f"/v1/agents/{agent['id']}/sessions")).json()
            assert session["websocket_url"] == expected + session["session_id"]
            again = (await http.get(f"/v1/sessions/{session['session_id']}")).json()
            assert again == session


async def test_retrieve_session_and_its_status(app: FastAPI, http: httpx.AsyncClient) -> None:
    agent = await create_agent(http)
    session = (await http.post(f"/v1/agents/{agent['id']}/sessions")).json()
    assert (await http.get(f"/v1/sessions/{session['session_id']}")).json() == session
    assert app.state.store.set_session_status(session["session_id"], "ended", reason="client")
    assert (await http.get(f"/v1/sessions/{session['session_id']}")).json()["status"] == "ended"
    missing = await http.get("/v1/sessions/ses_nothing")
    assert missing.status_code == 404
    assert error_of(missing)["param"] == "session_id"


async def test_a_session_reads_expired_after_its_hour(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    agent = await create_agent(http)
    session = (await http.post(f"/v1/agents/{agent['id']}/sessions")).json()
    store = app.state.store
    real_clock = store.clock
    store.clock = lambda: real_clock() + 3600 + 1
    try:
        body = (await http.get(f"/v1/sessions/{session['session_id']}")).json()
    finally:
        store.clock = real_clock
    assert body["status"] == "expired"
    assert store.get_session(session["session_id"]).ended_reason == "expired"
    # Expiry is final, and deleting the agent later leaves it expired.
    await http.delete(f"/v1/agents/{agent['id']}")
    assert store.get_session(session["session_id"]).status == "expired"


async def test_sessions_of_a_deleted_agent_cannot_be_created(http: httpx.AsyncClient) -> None:
    agent = await create_agent(http)
    await http.delete(f"/v1/agents/{agent['id']}")
    response = await http.post(f"/v1/agents/{agent['id']}/sessions")
    assert response.status_code == 404
    assert error_of(response)["code"] == "agent_not_found"


async def test_voices_include_the_seed_voice(http: httpx.AsyncClient) -> None:
    body = (await http.get("/v1/voices")).json()
    voices = {voice["voice_id"]: voice for voice in body["data"]}
    assert "rachel_v2" in voices
    assert "en" in voices["rachel_v2"]["languages"]
    assert set(voices["rachel_v2"]) == {"voice_id", "name", "languages", "gender", "description"}


async def test_creating_a_session_tells_the_engines_before_any_socket_opens(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    seen: list[tuple[str, str, str]] = []

    async def failing(record: object, agent: object) -> None:
        raise RuntimeError("a broken hook")

    async def warm(record: SessionRecord, agent: AgentRecord) -> None:
        seen.append((record.session_id, agent.id, agent.system_prompt))

    app.state.hooks.on_session_created[:0] = [failing, warm]
    agent = await create_agent(http, system_prompt="You sell shoes.")
    response = await http.post(f"/v1/agents/{agent['id']}/sessions", json={})
    # A failing hook is logged; the session is created and the other hooks still run.
    assert response.status_code == 200
    assert seen == [(response.json()["session_id"], agent["id"], "You sell shoes.")]
    # A refused request creates nothing and warms nothing.
    missing = await http.post("/v1/agents/agt_missing/sessions", json={})
    assert missing.status_code == 404
    assert len(seen) == 1
