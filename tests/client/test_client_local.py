"""The client against the real local server: in-process (async) and as a process (sync)."""

from __future__ import annotations

import pytest
from client_support import Live

from nur_notebook import NurClient
from nur_notebook.client import (
    Agent,
    AsyncNurClient,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    Page,
    Session,
    Tool,
)

LOOKUP_ORDER = {
    "name": "lookup_order",
    "description": "Look up order status by ID",
    "parameters": {"order_id": {"type": "string", "required": True}},
}


def test_the_seed_quickstart_runs_unchanged(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUR_API_KEY", live.api_key)
    monkeypatch.setenv("NUR_BASE_URL", live.base_url)
    # --- the seed's quickstart, with only the import changed ---
    client = NurClient()

    # Create a voice agent
    agent = client.agents.create(
        name="Customer Support",
        voice_id="rachel_v2",
        system_prompt="You are a friendly customer support agent for an e-commerce store.",
        language="en",
        tools=[
            {
                "name": "lookup_order",
                "description": "Look up order status by ID",
                "parameters": {"order_id": {"type": "string", "required": True}},
            }
        ],
    )

    # Start a session
    session = client.agents.sessions.create(
        agent_id=agent.id, initial_message="Hello! How can I help you today?"
    )

    print(f"Agent: {agent.id}")
    print(f"WebSocket: {session.websocket_url}")
    # --- end of the quickstart ---
    assert isinstance(agent, Agent)
    assert agent.id.startswith("agt_")
    assert agent.tools == [Tool.model_validate(LOOKUP_ORDER)]
    assert agent.max_turns == 50
    assert isinstance(session, Session)
    assert session.websocket_url == (
        f"{live.base_url.replace('http://', 'ws://')}/v1/sessions/{session.session_id}"
    )
    assert client.sessions.retrieve(session.session_id) == session
    client.close()


def test_sync_crud_and_errors(live: Live) -> None:
    with NurClient(live.api_key, live.base_url) as client:
        agent = client.agents.create(
            name="Tutor", voice_id="joe", system_prompt="Teach.", language="de", max_turns=7
        )
        assert client.agents.retrieve(agent.id) == agent
        assert agent.id in [a.id for a in client.agents.iter_all(page_size=1)]
        with pytest.raises(BadRequestError) as caught:
            client.agents.create(name="x", voice_id="rachel_v2", system_prompt="p", max_turns=0)
        assert (caught.value.status_code, caught.value.param) == (400, "max_turns")
        assert caught.value.code == "out_of_range"
        assert caught.value.request_id is not None
        deleted = client.agents.delete(agent.id)
        assert (deleted.id, deleted.deleted) == (agent.id, True)
        with pytest.raises(NotFoundError):
            client.agents.retrieve(agent.id)
        voices = client.voices.list()
        assert "rachel_v2" in [voice.voice_id for voice in voices]
    with NurClient("nur_sk_wrong", live.base_url, max_retries=0) as bad:
        with pytest.raises(AuthenticationError) as caught_auth:
            bad.agents.list()
    assert caught_auth.value.status_code == 401


async def test_async_client_in_process(client: AsyncNurClient) -> None:
    created = [
        await client.agents.create(name=f"Agent {n}", voice_id="rachel_v2", system_prompt="Hi")
        for n in range(5)
    ]
    page = await client.agents.list(limit=2)
    assert isinstance(page, Page)
    assert [a.id for a in page] == [created[4].id, created[3].id]
    assert (page.has_more, page.next_offset, page.total, len(page)) == (True, 2, 5, 2)
    assert page[0] == created[4]
    everything = [agent.id async for agent in client.agents.iter_all(page_size=2)]
    assert everything == [agent.id for agent in reversed(created)]

    session = await client.agents.sessions.create(
        agent_id=created[0].id, metadata={"user_id": "usr_456", "channel": "web"}
    )
    assert (await client.sessions.retrieve(session.session_id)).status == "active"
    result = await client.agents.delete(created[0].id)
    assert result.ended_sessions == [session.session_id]
    assert (await client.sessions.retrieve(session.session_id)).status == "ended"
    with pytest.raises(NotFoundError) as caught:
        await client.agents.sessions.create(agent_id=created[0].id)
    assert caught.value.param == "agent_id"


async def test_async_validation_errors_name_the_parameter(client: AsyncNurClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.agents.create(
            name="x",
            voice_id="rachel_v2",
            system_prompt="p",
            tools=[LOOKUP_ORDER, LOOKUP_ORDER],
        )
    assert (caught.value.code, caught.value.param) == ("duplicate_tool_name", "tools[1].name")
    assert "Duplicate tool name" in str(caught.value)


async def test_tool_objects_are_accepted_as_tools(client: AsyncNurClient) -> None:
    tool = Tool.model_validate(LOOKUP_ORDER)
    agent = await client.agents.create(
        name="x", voice_id="rachel_v2", system_prompt="p", tools=[tool]
    )
    assert agent.tools == [tool]
    assert agent.to_dict()["tools"] == [LOOKUP_ORDER]
