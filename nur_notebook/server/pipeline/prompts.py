"""What the model reads: the system message and the chat, in each reply format. Pure logic.

Both formats put first what every agent shares and last what one version of an agent has
alone (its prompt), so a prefix cache serves a new version all but its prompt, and the
system message does not change between the turns of a session:

- the JSON format (:mod:`decision`, any chat endpoint): :func:`instructions`, the date,
  the language, the agent's prompt (:func:`system_content`); history entries as
  :func:`json_turn` shows them; :func:`chat_messages` builds the chat;
- the model's own tool-call format (:mod:`tool_calls`, the local Qwen2.5): :data:`RULES`,
  the template's ``<tools>`` block, the date, the language, the agent's prompt
  (:func:`system_message`); history entries in the template's roles
  (:func:`native_turn`); :func:`native_chat` builds the chat.

    >>> from nur_notebook.server.pipeline.base import BrainRequest, Message
    >>> request = BrainRequest("Be kind.", [], "en", [Message("user", "hi")])
    >>> [m["role"] for m in chat_messages(request)]
    ['system', 'user']
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from nur_notebook.server.pipeline.base import BrainRequest, Message, ToolSpec
from nur_notebook.server.pipeline.decision import arguments_schema

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}


def chat(
    system: str, history: list[Message], turn: Callable[[Message], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The chat a model reads: the system message, then each entry of ``history`` as the
    reply format shows it (``turn``: :func:`json_turn` or :func:`native_turn`)."""
    return [{"role": "system", "content": system}, *(turn(entry) for entry in history)]


def when_context(today: dt.date | None = None) -> str:
    """Today's date and the coming week's, and how to write dates and times: a small
    model works out "on Thursday" from a list far better than by counting days."""
    day = today or dt.date.today()
    week = ", ".join(
        f"{d.strftime('%A')} {d.isoformat()}" for d in (day + dt.timedelta(n) for n in range(1, 8))
    )
    return (
        f"Today is {day.strftime('%A')}, {day.isoformat()}. The next days are {week}. "
        "Write a date as YYYY-MM-DD, worked out from these dates, and a time as 24-hour "
        "HH:MM."
    )


def function_definition(tool: ToolSpec, *, closed: bool) -> dict[str, Any]:
    """A tool in the OpenAI function shape, with its parameters' descriptions; ``closed``
    keeps ``additionalProperties: false`` in its arguments' schema."""
    parameters = arguments_schema(tool)
    if not closed:
        parameters.pop("additionalProperties", None)
    for name, spec in tool.parameters.items():
        if spec.get("description"):
            parameters["properties"][name]["description"] = spec["description"]
    function = {"name": tool.name, "description": tool.description, "parameters": parameters}
    return {"type": "function", "function": function}


# --- the JSON reply format ---------------------------------------------------------


def instructions(tools: list[ToolSpec]) -> str:
    """What every agent with these tools is told: the voice, the reply format, the tools.

    The same for every agent with the same tools (no language, no agent prompt), so it
    heads the prompt and a prefix cache shares it. The tools section follows the wording
    Qwen2.5 models were tuned on for function calling (measured: with it the model calls
    a fitting tool with p > 0.85, and still answers greetings and small talk itself),
    with our JSON reply format.
    """
    voice = (
        "You are in a live voice call: your words are spoken aloud, so keep them to one to "
        "three short sentences, plain words, no markdown."
    )
    if not tools:
        return f'{voice}\n\nReturn a json object {{"say": <what you say to the user>}}.'
    signatures = "\n".join(json.dumps(function_definition(tool, closed=True)) for tool in tools)
    return (
        f"{voice}\n\n{EXAMPLES}\n\n# Tools\n\nYou may call one or more functions to assist "
        "with the user query.\n\nYou are provided with function signatures within "
        "<tools></tools> XML tags:"
        f"\n<tools>\n{signatures}\n</tools>\n\n"
        "If the user's request needs one of these functions and the user said the values of "
        "its required arguments, return a json object with function name and arguments: "
        '{"tool": <function-name>, "arguments": <args-json-object>}.\n'
        "In every other case (greetings, small talk, jokes, general questions, a missing value "
        'to ask for) return {"say": <what you say to the user>}. After a function result, '
        "tell the user what it means for them."
    )


#: Worked examples of the choice, with functions no agent has (the grammar allows only
#: the agent's own): a question on a function's topic that the function does not answer,
#: a request it does, and a question about a result already given. They come before the
#: tools, so every agent's prompt starts with them and one cached prefix serves them all.
EXAMPLES = (
    "Examples with other functions than yours:\n"
    '- With order_pizza(size, kind), the user asks "Which pizza is the classic one in '
    'Naples?": {"say": "The margherita, with tomato, mozzarella and basil."}\n'
    '- The same user says "A large margherita, please": {"tool": "order_pizza", '
    '"arguments": {"size": "large", "kind": "margherita"}}\n'
    '- With stock_price(company), the user asks "Is Nvidia doing well on the market '
    'today?": {"tool": "stock_price", "arguments": {"company": "Nvidia"}}\n'
    '- With train_delay(train_number), the user asks "Is train 4521 late today?": '
    '{"tool": "train_delay", "arguments": {"train_number": "4521"}}\n'
    '- The same user asks "Is first class worth it on a long trip?": {"say": "For a long '
    'trip the quiet and the space often are."}\n'
    '- After train_delay returned a delay of 20 minutes, the user asks "So when do I get '
    'there?": {"say": "About twenty minutes later than planned."}'
)


def system_content(
    system_prompt: str, *, tools: list[ToolSpec], language: str, today: dt.date | None = None
) -> str:
    """The system message, from what every agent shares to what one version has alone:
    the instructions and tools, the date (with tools), the language, and the agent's own
    prompt last (what a new version of an agent changes), so a new version evaluates only
    its prompt and the rest comes from a cached prefix."""
    lang = LANGUAGE_NAMES.get(language, language)
    when = when_context(today) if tools else ""  # dates are for tool arguments
    parts = [p for p in (instructions(tools), when, f"Always answer in {lang}.") if p]
    return "\n\n".join([*parts, system_prompt.strip()]).rstrip()


def json_turn(entry: Message) -> dict[str, Any]:
    """One history entry in the JSON reply format: the agent's own replies and tool calls
    in the reply's shape; tool results as user-side messages marked as tool output
    (portable across chat templates and servers)."""
    match entry.role:
        case "user":
            return {"role": "user", "content": entry.content}
        case "agent":
            return {"role": "assistant", "content": json.dumps({"say": entry.content})}
        case "tool_call":
            call = {"tool": entry.name, "arguments": entry.arguments or {}}
            return {"role": "assistant", "content": json.dumps(call)}
        case "tool_result":
            status = "failed with error" if entry.is_error else "returned"
            return {"role": "user", "content": f"[tool {entry.name} {status}: {entry.content}]"}


def chat_messages(request: BrainRequest, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """OpenAI-style chat messages for the request's next move.

    The system message (:func:`system_content`) comes first and does not change between
    turns of a session, so engines that cache a prompt prefix reuse it; the history
    follows as :func:`json_turn` shows it.
    """
    system = system_content(
        request.system_prompt, tools=request.tools, language=request.language, today=today
    )
    return chat(system, request.history, json_turn)


# --- the model's own tool-call format ----------------------------------------------


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


def tool_definitions(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """The tools as the chat template lists them (OpenAI function shape, with the
    parameters' descriptions)."""
    return [function_definition(tool, closed=False) for tool in tools]


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
