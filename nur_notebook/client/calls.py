"""Pure request building: each API operation as a ``Call`` (method, path, body, parser).

The sync and async clients share these; they only differ in how they send a ``Call``.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NotRequired, Required, TypedDict, TypeVar
from urllib.parse import quote

from nur_notebook.client.types import Agent, AgentDeleted, Page, Session, Tool, Voice

T = TypeVar("T")
M = TypeVar("M", Agent, Session, Voice)

ToolLike = Tool | Mapping[str, Any]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API request and how to read its JSON answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    json: Any = None


def _segment(value: str, *, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def _page(model: type[M]) -> Callable[[Any], Page[M]]:
    def parse(body: Any) -> Page[M]:
        items: list[Any] = (body.get("data") or []) if isinstance(body, dict) else body
        parsed = [model.model_validate(item) for item in items]
        raw = body if isinstance(body, dict) else {}
        offset = int(raw.get("offset", 0) or 0)
        total = raw.get("total")
        has_more = bool(raw.get("has_more", total is not None and offset + len(parsed) < total))
        next_offset = raw.get("next_offset", offset + len(parsed) if has_more else None)
        return Page(
            items=parsed,
            has_more=has_more,
            next_offset=next_offset if has_more else None,
            limit=raw.get("limit"),
            offset=offset,
            total=total,
            raw=raw,
        )

    return parse


def _tool_json(tool: ToolLike) -> dict[str, Any]:
    return tool.to_dict() if isinstance(tool, Tool) else dict(tool)


class AgentParams(TypedDict, total=False):
    """The arguments of ``agents.create`` (sync and async alike)."""

    name: Required[str]
    voice_id: Required[str]
    system_prompt: Required[str]
    language: NotRequired[str]
    tools: NotRequired[Sequence[ToolLike] | None]
    max_turns: NotRequired[int]


class SessionParams(TypedDict, total=False):
    """The arguments of ``agents.sessions.create`` (sync and async alike)."""

    agent_id: Required[str]
    metadata: NotRequired[Mapping[str, Any] | None]
    initial_message: NotRequired[str | None]


def create_agent(
    *,
    name: str,
    voice_id: str,
    system_prompt: str,
    language: str = "en",
    tools: Sequence[ToolLike] | None = None,
    max_turns: int = 50,
) -> Call[Agent]:
    """``POST /v1/agents/create``: an agent with a persona, a voice and optional tools."""
    body: dict[str, Any] = {
        "name": name,
        "voice_id": voice_id,
        "system_prompt": system_prompt,
        "language": language,
        "max_turns": max_turns,
    }
    if tools is not None:
        body["tools"] = [_tool_json(tool) for tool in tools]
    return Call("POST", "/v1/agents/create", Agent.model_validate, json=body)


def list_agents(*, limit: int, offset: int) -> Call[Page[Agent]]:
    """``GET /v1/agents?limit&offset``."""
    return Call("GET", "/v1/agents", _page(Agent), params={"limit": limit, "offset": offset})


def retrieve_agent(agent_id: str) -> Call[Agent]:
    """``GET /v1/agents/{agent_id}``."""
    path = f"/v1/agents/{_segment(agent_id, name='agent_id')}"
    return Call("GET", path, Agent.model_validate)


def delete_agent(agent_id: str) -> Call[AgentDeleted]:
    """``DELETE /v1/agents/{agent_id}``."""
    path = f"/v1/agents/{_segment(agent_id, name='agent_id')}"

    def parse(body: Any) -> AgentDeleted:
        if not isinstance(body, dict) or "id" not in body:
            return AgentDeleted(id=agent_id, deleted=True)
        return AgentDeleted.model_validate(body)

    return Call("DELETE", path, parse)


def create_session(
    *,
    agent_id: str,
    metadata: Mapping[str, Any] | None = None,
    initial_message: str | None = None,
) -> Call[Session]:
    """``POST /v1/agents/{agent_id}/sessions``."""
    body: dict[str, Any] = {}
    if metadata is not None:
        body["metadata"] = dict(metadata)
    if initial_message is not None:
        body["initial_message"] = initial_message
    path = f"/v1/agents/{_segment(agent_id, name='agent_id')}/sessions"
    return Call("POST", path, Session.model_validate, json=body)


def retrieve_session(session_id: str) -> Call[Session]:
    """``GET /v1/sessions/{session_id}``."""
    path = f"/v1/sessions/{_segment(session_id, name='session_id')}"
    return Call("GET", path, Session.model_validate)


def session_transcript(session_id: str) -> Call[dict[str, Any]]:
    """``GET /v1/sessions/{session_id}/transcript`` (the JSON as served)."""
    path = f"/v1/sessions/{_segment(session_id, name='session_id')}/transcript"
    return Call("GET", path, _as_dict)


def list_voices() -> Call[list[Voice]]:
    """``GET /v1/voices``."""

    def parse(body: Any) -> list[Voice]:
        items = body.get("data", []) if isinstance(body, dict) else body
        return [Voice.model_validate(item) for item in items]

    return Call("GET", "/v1/voices", parse)


def _as_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise TypeError(f"expected a JSON object, got {type(body).__name__}")
    return body
