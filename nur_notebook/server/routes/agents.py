"""``/v1/agents``: create, list, retrieve and delete agents."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from nur_notebook.server.api_error import invalid, not_found
from nur_notebook.server.auth import CurrentAccount
from nur_notebook.server.ids import iso_utc
from nur_notebook.server.pipeline.voices import SUPPORTED_LANGUAGES, find_voice
from nur_notebook.server.routes.common import ERROR_RESPONSES, hooks_of, store_of
from nur_notebook.server.schemas import Agent, AgentCreate, AgentDeleted, AgentList
from nur_notebook.server.store import AgentRecord

log = logging.getLogger(__name__)

#: Largest ``offset`` (SQLite's largest integer; a larger one is a 400, not a 500).
MAX_OFFSET = 2**63 - 1

router = APIRouter(prefix="/v1/agents", tags=["agents"], responses=ERROR_RESPONSES)


def agent_out(record: AgentRecord) -> dict[str, Any]:
    """The Agent object for a stored agent."""
    return {
        "id": record.id,
        "name": record.name,
        "voice_id": record.voice_id,
        "system_prompt": record.system_prompt,
        "language": record.language,
        "tools": record.tools,
        "max_turns": record.max_turns,
        "created_at": iso_utc(record.created_at),
        "status": record.status,
    }


def check_agent_body(body: AgentCreate) -> None:
    """The checks a schema cannot make: known voice and language, unique tool names."""
    voice = find_voice(body.voice_id)
    if voice is None:
        raise invalid(
            f"Unknown voice_id '{body.voice_id}'. GET /v1/voices lists the voices.",
            code="unknown_voice",
            param="voice_id",
        )
    if body.language not in SUPPORTED_LANGUAGES:
        raise invalid(
            f"Unsupported language '{body.language}'; supported: {', '.join(SUPPORTED_LANGUAGES)}.",
            code="unsupported_language",
            param="language",
        )
    if body.language not in voice.languages:
        raise invalid(
            f"Voice '{voice.voice_id}' does not speak '{body.language}'.",
            code="unsupported_language",
            param="language",
        )
    seen: set[str] = set()
    for index, tool in enumerate(body.tools or []):
        if tool.name in seen:
            raise invalid(
                f"Duplicate tool name '{tool.name}'.",
                code="duplicate_tool_name",
                param=f"tools[{index}].name",
            )
        seen.add(tool.name)


@router.post(
    "/create",
    response_model=Agent,
    response_model_exclude_unset=True,
    summary="Create Agent",
)
async def create_agent(body: AgentCreate, account: CurrentAccount, request: Request) -> Any:
    """Create a new voice agent with a persona, a voice and optional tool definitions."""
    check_agent_body(body)
    record = store_of(request).create_agent(
        account.account_id,
        name=body.name,
        voice_id=body.voice_id,
        system_prompt=body.system_prompt,
        language=body.language,
        tools=[tool.model_dump(exclude_unset=True) for tool in body.tools or []],
        max_turns=body.max_turns,
    )
    return agent_out(record)


@router.get("", response_model=AgentList, response_model_exclude_unset=True, summary="List Agents")
async def list_agents(
    account: CurrentAccount,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100, description="Defaults to 20, max 100")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Number of agents to skip")] = 0,
) -> Any:
    """A page of the account's agents, newest first."""
    records, total = store_of(request).list_agents(account.account_id, limit=limit, offset=offset)
    has_more = offset + len(records) < total
    return {
        "data": [agent_out(record) for record in records],
        "has_more": has_more,
        "next_offset": offset + len(records) if has_more else None,
        "limit": limit,
        "offset": offset,
        "total": total,
    }


@router.get(
    "/{agent_id}", response_model=Agent, response_model_exclude_unset=True, summary="Get Agent"
)
async def retrieve_agent(agent_id: str, account: CurrentAccount, request: Request) -> Any:
    """One agent of the account."""
    record = store_of(request).get_agent(agent_id, account_id=account.account_id)
    if record is None:
        raise agent_not_found(agent_id)
    return agent_out(record)


@router.delete("/{agent_id}", response_model=AgentDeleted, summary="Delete Agent")
async def delete_agent(agent_id: str, account: CurrentAccount, request: Request) -> Any:
    """Delete an agent for good and end all its active sessions."""
    ended = store_of(request).delete_agent(agent_id, account_id=account.account_id)
    if ended is None:
        raise agent_not_found(agent_id)
    for session_id in ended:
        for hook in hooks_of(request).on_session_ended:
            try:
                await hook(session_id, "agent_deleted")
            except Exception:
                log.exception("session-ended hook failed for %s", session_id)
    return {"id": agent_id, "deleted": True, "ended_sessions": ended}


def agent_not_found(agent_id: str) -> Exception:
    """The 404 for an agent that does not exist, was deleted, or is another account's."""
    return not_found(f"No agent '{agent_id}'.", code="agent_not_found", param="agent_id")
