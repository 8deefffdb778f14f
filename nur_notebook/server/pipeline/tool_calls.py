"""The model's own tool-call format: plain text to speak, or ``<tool_call>`` tags. Pure logic.

Qwen2.5 (like the Hermes models) was tuned to call functions by answering
``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>``, with the tools listed
by its chat template and results shown back as ``<tool_response>``. That conversation is
built in ``prompts.py`` (:func:`~nur_notebook.server.pipeline.prompts.native_chat`); this
module builds the grammar that holds a reply to it (speech with no ``<``, or exactly one
call of a defined tool with schema-valid arguments; :func:`native_grammar_rules`), and
reads the reply while it streams (:func:`stream_native`): speech goes out as it comes,
with no envelope to wait for.

    >>> [e.text for e in stream_native(iter(["Hi", " there."]), [])]
    ['Hi', ' there.']
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nur_notebook.server.pipeline.base import BrainEvent, SayDelta, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.decision import (
    DecisionError,
    arguments_schema,
    json_object,
    validated_call,
)

OPEN, CLOSE = "<tool_call>", "</tool_call>"
FENCE = "```"


def call_schema(tools: list[ToolSpec]) -> dict[str, Any]:
    """The JSON schema inside the tags: one defined tool's name, then its arguments."""
    options = [
        {
            "type": "object",
            "properties": {"name": {"const": tool.name}, "arguments": arguments_schema(tool)},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for tool in tools
    ]
    return options[0] if len(options) == 1 else {"anyOf": options}


#: Root rule of the reply grammar (the JSON grammar of the call keeps its own ``root``).
REPLY_ROOT = "nur-reply"


def native_grammar_rules(call_gbnf: str | None) -> str:
    """GBNF for a whole reply: speech, or, given the JSON grammar of the call (rooted at
    ``root``), one call in its tags or bare.

    Speech has no ``<`` and does not start with ``{``, ``[``, a backquote or a space,
    so a model that starts writing JSON (Qwen2.5-Coder writes the call bare, or in a
    code fence) can only go on with a valid call.
    """
    say = "nur-say ::= [^<{\\[`\\x00 \\n] [^<\\x00]*\n"
    if call_gbnf is None:
        return f"{REPLY_ROOT} ::= nur-say\n{say}"
    call = (
        f'{REPLY_ROOT} ::= nur-say | "{OPEN}" "\\n" root "\\n" "{CLOSE}" | root '
        f'| "{FENCE}json\\n" root "\\n{FENCE}"\n'
    )
    return f"{call}{say}{call_gbnf}"


def parse_native_call(text: str, tools: list[ToolSpec]) -> ToolCallDecision:
    """The call in a reply that is one (``<tool_call>`` tags or a bare JSON object);
    DecisionError if invalid."""
    body = text.strip()
    if not body.startswith((OPEN, "{", FENCE)):
        raise DecisionError("the reply is not a tool call")
    if body.startswith(FENCE):
        body = body.removeprefix(f"{FENCE}json").removesuffix(FENCE)
    if body.startswith(OPEN):
        body = body[len(OPEN) :]
        body = body[: body.index(CLOSE)] if CLOSE in body else body
    value = json_object(body, what="the tool call")
    arguments = value.get("arguments", {})
    if isinstance(arguments, str):  # some servers send the arguments as JSON text
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise DecisionError("tool arguments must be a JSON object") from exc
    return validated_call(value.get("name"), arguments, tools)


def stream_native(pieces: Iterator[str], tools: list[ToolSpec]) -> Iterator[BrainEvent]:
    """SayDelta events as the speech streams, or one validated ToolCallDecision.

    A reply is a call when it starts with ``<tool_call>``, ``{`` or a code fence;
    until the first characters tell, they are held back. Text after a call is ignored.
    """
    head = ""
    saying = False
    for piece in pieces:
        if saying:
            if piece:
                yield SayDelta(piece)
            continue
        head += piece
        start = head.lstrip()
        if not start or (OPEN.startswith(start) and len(start) < len(OPEN)) or start == "`":
            continue  # not yet known whether this is a call
        if start.startswith((OPEN, "{", "``")):
            if CLOSE in start:
                break
            continue
        saying = True
        yield SayDelta(start)
    if saying:
        return
    if not head.strip():
        raise DecisionError("the model gave an empty reply")
    if not head.lstrip().startswith((OPEN, "{", FENCE)):
        yield SayDelta(head.strip())
        return
    yield parse_native_call(head, tools)
