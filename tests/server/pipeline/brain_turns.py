"""What the brain tests share: a support persona, its order tool, and one turn's events."""

from __future__ import annotations

from typing import Any

from nur_notebook.server.pipeline.base import (
    Brain,
    BrainEvent,
    BrainRequest,
    Message,
    SayDelta,
    ToolSpec,
)

SUPPORT = "You are a friendly customer support agent for an e-commerce store."
LOOKUP = ToolSpec(
    "lookup_order", "Look up order status by ID", {"order_id": {"type": "string", "required": True}}
)


def respond(
    brain: Brain, history: list[Message], tools: list[ToolSpec], language: str = "en", **kw: Any
) -> list[BrainEvent]:
    """Every event of one turn of the support persona."""
    return list(
        brain.respond(BrainRequest(SUPPORT, tools=tools, language=language, history=history, **kw))
    )


def said(events: list[BrainEvent]) -> str:
    """The spoken reply (every event must be speech)."""
    assert events
    assert all(isinstance(e, SayDelta) for e in events), events
    return "".join(e.text for e in events if isinstance(e, SayDelta))
