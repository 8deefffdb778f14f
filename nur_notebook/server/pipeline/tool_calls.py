"""The model's own tool-call format: plain text to speak, or ``<tool_call>`` tags. Pure logic.

Qwen2.5 (like the Hermes models) was tuned to call functions by answering
``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>``, with the tools listed
by its chat template and results shown back as ``<tool_response>``. This module builds
that conversation (:func:`native_chat`), the grammar that holds a reply to it (speech
with no ``<``, or exactly one call of a defined tool with schema-valid arguments;
:func:`native_grammar_rules`), and reads the reply while it streams
(:func:`stream_native`): speech goes out as it comes, with no envelope to wait for.

    >>> [e.text for e in stream_native(iter(["Hi", " there."]), [])]
    ['Hi', ' there.']
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from nur_notebook.server.pipeline.base import (
    BrainEvent,
    BrainRequest,
    Message,
    SayDelta,
    ToolCallDecision,
    ToolSpec,
)
from nur_notebook.server.pipeline.decision import (
    LANGUAGE_NAMES,
    DecisionError,
    arguments_schema,
    chat,
    json_object,
    validated_call,
    when_context,
)

OPEN, CLOSE = "<tool_call>", "</tool_call>"
FENCE = "```"

#: What every agent is told first (the same for all agents, so it heads the prompt).
RULES = (
    "You are a voice agent in a live phone call: what you write is spoken aloud. Reply in "
    "one to three short sentences of plain words, no lists, no markdown, no emojis.\n"
    "Call a function whenever the user asks for something one of your functions does and "
    "has said every value it needs (numbers and codes may be said as words: 'four four "
    "seven' is 447). Never answer such a request from your own knowledge, and never say "
    "you cannot do it: call the function. Do not say you will look it up, check it or find it, "
    "and do not ask again for a value the user already said: make the call now, in this "
    "reply.\n"
    "Never guess or invent a value the user did not say, such as an account, order, "
    "booking or ticket number, a name, an email, a city or a date: ask for it instead. "
    "Leave out an optional argument unless the user said its value.\n"
    "Greetings, thanks, small talk and general questions get a short spoken answer, "
    "without a function. After a function result, tell the user what it means for them."
)


def tools_block(tools: list[ToolSpec]) -> str:
    """The tools as Qwen2.5's chat template lists them (its own words, its ``<tools>``
    tags, each definition as the template's ``tojson`` writes it: keys sorted)."""
    if not tools:
        return ""
    listed = "\n".join(json.dumps(d, sort_keys=True) for d in tool_definitions(tools))
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        f"You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
        f"\n{listed}\n</tools>\n\nFor each function call, return a json object with function "
        "name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


def system_message(
    system_prompt: str,
    *,
    tools: list[ToolSpec],
    language: str,
    today: dt.date | None = None,
) -> str:
    """The system message, from what every agent shares to what one version has alone:
    the shared rules, the tools, today's date, the language, and the agent's own prompt
    last. A new version of an agent that changes only its prompt evaluates only that; a
    prefix cache holds the rest."""
    lang = LANGUAGE_NAMES.get(language, language)
    context = f"{when_context(today)}\nAlways speak {lang}, whatever language the user writes in."
    parts = [RULES, tools_block(tools), context, system_prompt.strip()]
    return "\n\n".join(part for part in parts if part)


def tool_definitions(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """The tools as the chat template lists them (OpenAI function shape, with the
    parameters' descriptions)."""
    definitions = []
    for tool in tools:
        parameters = arguments_schema(tool)
        parameters.pop("additionalProperties", None)
        for name, spec in tool.parameters.items():
            if spec.get("description"):
                parameters["properties"][name]["description"] = spec["description"]
        definitions.append(
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": parameters,
                },
            }
        )
    return definitions


def native_turn(entry: Message) -> dict[str, Any]:
    """One history entry in the template's own roles: assistant ``tool_calls`` and
    ``tool`` results."""
    match entry.role:
        case "user":
            return {"role": "user", "content": entry.content}
        case "agent":
            return {"role": "assistant", "content": entry.content}
        case "tool_call":
            call = {"name": entry.name, "arguments": entry.arguments or {}}
            return {"role": "assistant", "content": "", "tool_calls": [{"function": call}]}
        case "tool_result":
            content = f"error: {entry.content}" if entry.is_error else entry.content
            return {"role": "tool", "content": content}


def native_chat(request: BrainRequest, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Chat messages in the template's own roles (:func:`native_turn`). The system message
    (with the tools: render it without the template's own tool list) is the same on every
    turn of a session."""
    system = system_message(
        request.system_prompt, tools=request.tools, language=request.language, today=today
    )
    return chat(system, request.history, native_turn)


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
