"""Parse and check the ``%%nur_agent`` line and body (pure: no server, no kernel).

    %%nur_agent Customer Support --voice rachel_v2 --tools lookup_order --as support
    You are a friendly customer support agent.

Every mistake is a ``UsageError`` that says what to fix; nothing here talks to a server,
so a rejected cell creates nothing.
"""

from __future__ import annotations

import argparse
import keyword
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from IPython.core.error import UsageError

from nur_notebook.notebook.tools import Tool

#: The API's bounds for ``max_turns``.
MAX_TURNS_RANGE = (1, 1000)
DEFAULT_VAR = "conv"

USAGE = """\
%%nur_agent NAME [--voice VOICE_ID] [--language CODE] [--tools f,g] [--max-turns N]
            [--greeting TEXT] [--as VAR] [--no-talk] [--update]
<system prompt: the cell body, taken literally>

Creates a new version of agent NAME and opens a conversation with it below the cell,
bound to VAR (default: conv). --tools takes names of @nur_notebook.tool functions or of
variables holding lists of them. --no-talk creates the agent only and binds it to VAR.
--update gives the running conversation of NAME the new prompt (session.update) instead
of opening a new session; replies from then on are marked with the new version."""


@dataclass(frozen=True)
class AgentOptions:
    """The checked options of one ``%%nur_agent`` cell."""

    name: str
    system_prompt: str
    voice_id: str | None = None
    language: str | None = None
    tool_names: tuple[str, ...] = ()
    max_turns: int | None = None
    greeting: str | None = None
    var: str = DEFAULT_VAR
    talk: bool = True
    #: Change the running conversation's prompt instead of opening a new one.
    update: bool = False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%%nur_agent: {message}\n\n{USAGE}")


def _parser() -> _Parser:
    parser = _Parser(prog="%%nur_agent", add_help=False, allow_abbrev=False, usage=USAGE)
    parser.add_argument("name", nargs="*")
    parser.add_argument("--voice", dest="voice_id")
    parser.add_argument("--language")
    parser.add_argument("--tools", default="")
    parser.add_argument("--max-turns", dest="max_turns")
    parser.add_argument("--greeting")
    parser.add_argument("--as", dest="var", default=DEFAULT_VAR)
    parser.add_argument("--no-talk", dest="talk", action="store_false")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    return parser


def parse_agent_cell(line: str, body: str | None) -> AgentOptions:
    """The options of a ``%%nur_agent`` cell, or a ``UsageError`` naming the problem."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(
            f"%%nur_agent: cannot read the options ({exc}); check the quotes"
        ) from None
    args = _parser().parse_args(words)
    if args.help:
        raise UsageError(USAGE)
    name = " ".join(args.name).strip()
    if not name:
        raise UsageError(f"%%nur_agent needs the agent's NAME after %%nur_agent\n\n{USAGE}")
    prompt = body or ""
    if not prompt.strip():
        raise UsageError(
            "%%nur_agent: the cell body is the agent's system prompt, and it is empty; "
            "write the instructions below the %%nur_agent line"
        )
    for flag, value in (("--voice", args.voice_id), ("--language", args.language)):
        if value is not None and not value.strip():
            raise UsageError(f"%%nur_agent: {flag} needs a value")
    return AgentOptions(
        name=name,
        system_prompt=prompt,
        voice_id=args.voice_id,
        language=args.language,
        tool_names=_tool_names(args.tools),
        max_turns=_max_turns(args.max_turns),
        greeting=args.greeting,
        var=_variable(args.var),
        talk=args.talk,
        update=args.update,
    )


def _tool_names(raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    for name in names:
        if not name.isidentifier():
            raise UsageError(
                f"%%nur_agent: --tools takes Python names separated by commas; {name!r} is not one"
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"%%nur_agent: --tools lists {', '.join(duplicates)} more than once")
    return names


def _max_turns(raw: str | None) -> int | None:
    if raw is None:
        return None
    low, high = MAX_TURNS_RANGE
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"%%nur_agent: --max-turns must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise UsageError(f"%%nur_agent: --max-turns must be between {low} and {high}, got {value}")
    return value


def _variable(raw: str) -> str:
    if not raw.isidentifier() or keyword.iskeyword(raw):
        raise UsageError(f"%%nur_agent: --as needs a Python variable name, got {raw!r}")
    return raw


def resolve_tools(
    names: tuple[str, ...],
    *,
    namespace: Mapping[str, Any],
    registry: Mapping[str, Tool[..., Any]],
) -> list[Tool[..., Any]]:
    """The tools named on ``--tools``: a ``@tool`` function, or a variable holding a list
    of them, looked up in the user's namespace and then in the tool registry."""
    found: list[Tool[..., Any]] = []
    for name in names:
        value = namespace.get(name, registry.get(name))
        if value is None:
            known = ", ".join(sorted(registry)) or "none yet"
            raise UsageError(
                f"%%nur_agent: unknown tool {name!r}; decorate a function with "
                f"@nur_notebook.tool first (tools defined so far: {known})"
            )
        found.extend(_as_tools(name, value))
    seen: set[str] = set()
    for item in found:
        if item.name in seen:
            raise UsageError(f"%%nur_agent: two tools are named {item.name!r}; rename one")
        seen.add(item.name)
    return found


def _as_tools(name: str, value: Any) -> list[Tool[..., Any]]:
    if isinstance(value, Tool):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, Tool) for v in value):
        return list(value)
    if callable(value):
        raise UsageError(
            f"%%nur_agent: {name} is a plain function; put @nur_notebook.tool above its "
            "definition (and re-run that cell) to use it as a tool"
        )
    raise UsageError(
        f"%%nur_agent: --tools {name} must name a @nur_notebook.tool function or a list of "
        f"them, but it is a {type(value).__name__}"
    )
