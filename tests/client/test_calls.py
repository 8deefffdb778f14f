"""Pure request building and answer parsing, without any server."""

from __future__ import annotations

from typing import Any

import pytest

from nur_notebook.client import calls
from nur_notebook.client.types import Agent, Tool

AGENT: dict[str, Any] = {
    "id": "agt_1",
    "name": "A",
    "voice_id": "rachel_v2",
    "system_prompt": "p",
    "created_at": "2025-01-15T10:30:00Z",
    "status": "active",
}


def test_create_agent_sends_the_seed_fields_and_leaves_out_absent_tools() -> None:
    call = calls.create_agent(
        name="A", voice_id="v", system_prompt="p", language="en", tools=None, max_turns=50
    )
    assert (call.method, call.path) == ("POST", "/v1/agents/create")
    assert call.json == {
        "name": "A",
        "voice_id": "v",
        "system_prompt": "p",
        "language": "en",
        "max_turns": 50,
    }
    tool = Tool(name="t", parameters={"x": {"type": "string"}})
    with_tools = calls.create_agent(
        name="A",
        voice_id="v",
        system_prompt="p",
        language="fr",
        tools=[tool, {"name": "u"}],
        max_turns=3,
    )
    assert with_tools.json["tools"] == [
        {"name": "t", "parameters": {"x": {"type": "string"}}},
        {"name": "u"},
    ]


def test_session_bodies_carry_only_what_is_given() -> None:
    bare = calls.create_session(agent_id="agt_1", metadata=None, initial_message=None)
    assert (bare.path, bare.json) == ("/v1/agents/agt_1/sessions", {})
    full = calls.create_session(agent_id="agt_1", metadata={"k": 1}, initial_message="Hi")
    assert full.json == {"metadata": {"k": 1}, "initial_message": "Hi"}


def test_ids_are_escaped_in_paths() -> None:
    assert calls.retrieve_agent("agt_1/../x").path == "/v1/agents/agt_1%2F..%2Fx"
    assert calls.retrieve_session("ses 1").path == "/v1/sessions/ses%201"
    with pytest.raises(ValueError, match="session_id"):
        calls.session_transcript("")


def test_list_pages_from_the_local_server_shape() -> None:
    body = {
        "data": [AGENT],
        "has_more": True,
        "next_offset": 1,
        "limit": 1,
        "offset": 0,
        "total": 4,
    }
    page = calls.list_agents(limit=1, offset=0).parse(body)
    assert page.items == [Agent.model_validate(AGENT)]
    assert (page.has_more, page.next_offset, page.total, page.limit) == (True, 1, 4, 1)


@pytest.mark.parametrize(
    ("body", "has_more", "next_offset"),
    [
        ({"data": [AGENT], "total": 3, "offset": 1}, True, 2),  # no has_more: from the total
        ({"data": [AGENT], "has_more": False}, False, None),
        ({"data": [AGENT], "has_more": True, "offset": 5}, True, 6),  # no next_offset
        ([AGENT], False, None),  # a bare list
    ],
)
def test_list_pages_from_other_shapes(body: Any, has_more: bool, next_offset: int | None) -> None:
    page = calls.list_agents(limit=1, offset=0).parse(body)
    assert len(page) == 1
    assert (page.has_more, page.next_offset) == (has_more, next_offset)


def test_objects_keep_fields_they_do_not_know() -> None:
    agent = Agent.model_validate({**AGENT, "region": "eu"})
    assert agent.to_dict()["region"] == "eu"
    assert agent.tools == []
    assert agent.max_turns == 50


def test_delete_without_a_body_still_answers() -> None:
    deleted = calls.delete_agent("agt_1").parse(None)
    assert (deleted.id, deleted.deleted) == ("agt_1", True)
