"""The objects the API returns, with attribute access and the API's field names.

Models accept fields they do not know (a newer server may add some) and keep them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Agent", "AgentDeleted", "Page", "Session", "Tool", "Voice"]

T = TypeVar("T")


class _Object(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    def to_dict(self) -> dict[str, Any]:
        """The object as JSON-ready data, as the API sent it."""
        return self.model_dump(mode="json", exclude_unset=True)


class Tool(_Object):
    """A tool an agent may call: ``parameters`` maps names to ``{"type", "required", ...}``."""

    name: str
    description: str = ""
    parameters: dict[str, dict[str, Any]] = {}


class Agent(_Object):
    """The Agent object (``id`` starts with ``agt_``)."""

    id: str
    name: str
    voice_id: str
    system_prompt: str
    language: str = "en"
    tools: list[Tool] = []
    max_turns: int = 50
    created_at: str
    status: str


class AgentDeleted(_Object):
    """What deleting an agent answers."""

    id: str
    deleted: bool
    ended_sessions: list[str] = []


class Session(_Object):
    """The Session object (``session_id`` starts with ``ses_``)."""

    session_id: str
    agent_id: str
    websocket_url: str
    created_at: str
    expires_at: str
    status: str


class Voice(_Object):
    """A voice agents may use, with the languages it speaks."""

    voice_id: str
    name: str
    languages: list[str] = []
    gender: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: iterate it, index it, and ask for ``next_offset`` for more.

    Example::

        page = client.agents.list(limit=100)
        while True:
            for agent in page:
                print(agent.name)
            if page.next_offset is None:
                break
            page = client.agents.list(limit=100, offset=page.next_offset)
    """

    items: list[T]
    has_more: bool
    next_offset: int | None
    limit: int | None = None
    offset: int = 0
    total: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    @property
    def data(self) -> list[T]:
        """The items, under the name the API's JSON uses."""
        return self.items
