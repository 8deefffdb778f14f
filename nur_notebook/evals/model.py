"""A suite as plain data: the agent, its variants, tool answers and scenarios.

Built and checked by :func:`nur_notebook.evals.suite.load_suite`; everything here is frozen
and knows nothing about servers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Mode = Literal["text", "spoken", "audio"]
MODES: tuple[Mode, ...] = ("text", "spoken", "audio")

#: Agent fields a suite (or a variant) may set.
AGENT_FIELDS = (
    "name",
    "voice_id",
    "language",
    "system_prompt",
    "tools",
    "max_turns",
    "initial_message",
)
#: Keys of an ``expect`` block.
EXPECT_KEYS = (
    "tool_call",
    "no_tool_call",
    "reply_contains",
    "reply_matches",
    "reply_excludes",
    "max_latency_ms",
    "judge",
)


@dataclass(frozen=True)
class ToolCallExpect:
    """A tool call that must happen in the turn: ``name`` and a subset of its arguments.

    A string value written ``/.../`` is a regular expression the argument must match.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Expect:
    """The checks of one turn (every one optional)."""

    tool_calls: tuple[ToolCallExpect, ...] = ()
    no_tool_call: bool = False
    reply_contains: tuple[str, ...] = ()
    reply_matches: tuple[str, ...] = ()
    reply_excludes: tuple[str, ...] = ()
    max_latency_ms: float | None = None
    judge: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One user turn: typed or spoken text, or a recording (``audio`` mode)."""

    user: str | None = None
    audio: Path | bytes | None = None
    expect: Expect = Expect()


@dataclass(frozen=True)
class Scenario:
    """A conversation to replay: its turns in order, all in one ``mode``."""

    name: str
    turns: tuple[Turn, ...]
    mode: Mode = "text"
    #: The voice that speaks the user's turns (``spoken``); default: the agent's voice.
    voice: str | None = None


@dataclass(frozen=True)
class ToolAnswer:
    """How a tool call is answered during a run: a fixed value, an error, or a function."""

    returns: Any = None
    error: str | None = None
    function: Callable[..., Any] | None = None

    def as_function(self) -> Callable[..., Any]:
        """A tool function for the session client."""
        if self.function is not None:
            return self.function
        if self.error is not None:
            message = self.error

            def failing(**_arguments: Any) -> Any:
                raise RuntimeError(message)

            return failing
        value = self.returns
        return lambda **_arguments: value


@dataclass(frozen=True)
class JudgeConfig:
    """Which brain judges ``judge`` checks: the server's own (no ``url``), or an
    OpenAI-compatible chat endpoint."""

    url: str | None = None
    model: str | None = None
    api_key_env: str | None = None


@dataclass(frozen=True)
class Suite:
    """A whole suite (see docs/evals.md)."""

    name: str
    agent: Mapping[str, Any]
    scenarios: tuple[Scenario, ...]
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tools: Mapping[str, ToolAnswer] = field(default_factory=dict)
    repeat: int = 1
    judge: JudgeConfig = JudgeConfig()
    #: ``--agent ID``: an existing agent on the server whose fields are the base.
    agent_id: str | None = None

    def variant_names(self) -> list[str]:
        """The variants in order (one called ``base`` when the suite names none)."""
        return list(self.variants) or ["base"]

    def agent_for(self, variant: str) -> dict[str, Any]:
        """The agent fields of ``variant``: the suite's agent with the variant's overrides."""
        fields = dict(self.agent)
        fields.update(self.variants.get(variant, {}))
        return fields

    def has_judge(self) -> bool:
        return any(t.expect.judge for s in self.scenarios for t in s.turns)


__all__ = [
    "AGENT_FIELDS",
    "EXPECT_KEYS",
    "MODES",
    "Expect",
    "JudgeConfig",
    "Mode",
    "Scenario",
    "Suite",
    "ToolAnswer",
    "ToolCallExpect",
    "Turn",
]
