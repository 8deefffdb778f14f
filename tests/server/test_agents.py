"""``/v1/agents``: the seed's curl examples, retrieval, listing and deletion."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from rest_support import SEED_AGENT, create_agent, error_of

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
AGENT_FIELDS = {
    "id",
    "name",
    "voice_id",
    "system_prompt",
    "language",
    "tools",
    "max_turns",
    "created_at",
    "status",
}


async def test_seed_create_agent_curl_example(http: httpx.AsyncClient) -> None:
    # curl -X POST .../v1/agents/create -H "Authorization: Bearer $NUR_API_KEY"
    #      -H "Content-Type: application/json" -d '{...}'
    response = await http.post(
        "/v1/agents/create", json=SEED_AGENT, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    agent = response.json()
    assert set(agent) == AGENT_FIELDS
    assert re.fullmatch(r"agt_[A-Za-z0-9]{16,}", agent["id"])
    assert ISO_Z.match(agent["created_at"])
    assert agent["status"] == "active"
    # Everything sent comes back exactly as the seed's response shows it.
    for field, value in SEED_AGENT.items():
        assert agent[field] == value, field


async def test_seed_list_agents_curl_example(http: httpx.AsyncClient) -> None:
    created = await create_agent(http)
    response = await http.get("/v1/agents?limit=10&offset=0")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == [created]
    assert body | {"data": None} == {
        "data": None,
        "has_more": False,
        "next_offset": None,
        "limit": 10,
        "offset": 0,
        "total": 1,
    }


async def test_seed_delete_agent_curl_example(http: httpx.AsyncClient) -> None:
    agent = await create_agent(http)
    response = await http.delete(f"/v1/agents/{agent['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": agent["id"], "deleted": True, "ended_sessions": []}
    gone = await http.get(f"/v1/agents/{agent['id']}")
    assert gone.status_code == 404
    assert error_of(gone)["code"] == "agent_not_found"
    again = await http.delete(f"/v1/agents/{agent['id']}")
    assert again.status_code == 404
    listing = (await http.get("/v1/agents")).json()
    assert listing["total"] == 0


async def test_defaults_apply_when_optional_fields_are_left_out(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/agents/create",
        json={"name": "Bare", "voice_id": "rachel_v2", "system_prompt": "Be brief."},
    )
    assert response.status_code == 200
    agent = response.json()
    assert (agent["language"], agent["tools"], agent["max_turns"]) == ("en", [], 50)


async def test_retrieve_returns_the_stored_agent(http: httpx.AsyncClient) -> None:
    agent = await create_agent(http, language="fr", voice_id="espeak_f", max_turns=1000)
    response = await http.get(f"/v1/agents/{agent['id']}")
    assert response.status_code == 200
    assert response.json() == agent
    missing = await http.get("/v1/agents/agt_doesnotexist")
    assert missing.status_code == 404
    assert error_of(missing)["param"] == "agent_id"


async def test_prompts_keep_braces_and_unicode_untouched(http: httpx.AsyncClient) -> None:
    prompt = 'Reply as JSON: {"say": "..."}\nNo {placeholders} here. Grüße, 你好 🎙️'
    agent = await create_agent(http, system_prompt=prompt)
    assert (await http.get(f"/v1/agents/{agent['id']}")).json()["system_prompt"] == prompt


async def _make(http: httpx.AsyncClient, count: int) -> list[str]:
    return [(await create_agent(http, name=f"agent {i}"))["id"] for i in range(count)]


async def test_list_is_newest_first_and_pages_cover_everything_once(
    http: httpx.AsyncClient,
) -> None:
    ids = await _make(http, 7)
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        body = (await http.get("/v1/agents", params={"limit": 3, "offset": offset})).json()
        assert body["total"] == 7
        seen += [agent["id"] for agent in body["data"]]
        assert body["has_more"] == (offset + len(body["data"]) < 7)
        offset = body["next_offset"]
        pages += 1
    assert pages == 3
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    ("params", "count", "has_more", "next_offset"),
    [
        ({}, 20, True, 20),  # default limit 20
        ({"limit": 100}, 25, False, None),  # max limit
        ({"limit": 1}, 1, True, 1),  # min limit
        ({"limit": 5, "offset": 20}, 5, False, None),  # exactly the last page
        ({"limit": 10, "offset": 24}, 1, False, None),  # a partial last page
        ({"limit": 10, "offset": 25}, 0, False, None),  # offset == total
        ({"limit": 10, "offset": 1000}, 0, False, None),  # far past the end
    ],
)
async def test_pagination_edges(
    http: httpx.AsyncClient,
    params: dict[str, int],
    count: int,
    has_more: bool,
    next_offset: int | None,
) -> None:
    await _make(http, 25)
    body = (await http.get("/v1/agents", params=params)).json()
    assert len(body["data"]) == count
    assert body["has_more"] is has_more
    assert body["next_offset"] == next_offset
    assert body["total"] == 25


async def test_an_empty_account_lists_nothing(http: httpx.AsyncClient) -> None:
    body = (await http.get("/v1/agents")).json()
    assert body == {
        "data": [],
        "has_more": False,
        "next_offset": None,
        "limit": 20,
        "offset": 0,
        "total": 0,
    }


async def test_deleting_an_agent_ends_its_sessions_and_calls_the_hooks(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    agent = await create_agent(http)
    keep = await create_agent(http, name="Keep")
    ended_by_hook: list[tuple[str, str]] = []

    async def on_ended(session_id: str, reason: str) -> None:
        ended_by_hook.append((session_id, reason))

    async def broken(session_id: str, reason: str) -> None:
        raise RuntimeError("a failing hook must not stop the deletion")

    app.state.hooks.on_session_ended[:0] = [broken, on_ended]
    sessions = [
        (await http.post(f"/v1/agents/{agent['id']}/sessions")).json()["session_id"]
        for _ in range(2)
    ]
    other = (await http.post(f"/v1/agents/{keep['id']}/sessions")).json()["session_id"]

    response = await http.delete(f"/v1/agents/{agent['id']}")
    assert response.status_code == 200
    assert sorted(response.json()["ended_sessions"]) == sorted(sessions)
    assert sorted(ended_by_hook) == sorted((s, "agent_deleted") for s in sessions)
    for session_id in sessions:
        body = (await http.get(f"/v1/sessions/{session_id}")).json()
        assert body["status"] == "ended"
        record = app.state.store.get_session(session_id)
        assert record.ended_reason == "agent_deleted"
    assert (await http.get(f"/v1/sessions/{other}")).json()["status"] == "active"
    refused = await http.post(f"/v1/agents/{agent['id']}/sessions")
    assert refused.status_code == 404


async def test_tools_round_trip_with_every_parameter_field(http: httpx.AsyncClient) -> None:
    tools: list[dict[str, Any]] = [
        {
            "name": "book_table",
            "description": "Book a table",
            "parameters": {
                "party": {"type": "integer", "required": True, "description": "people"},
                "area": {"type": "string", "enum": ["inside", "terrace"]},
                "notes": {"type": "array", "items": {"type": "string"}},
                "vip": {"type": "boolean"},
            },
        },
        {"name": "hang_up"},
    ]
    agent = await create_agent(http, tools=tools)
    assert agent["tools"] == tools
