"""The brain's reply format, shared by every language-model engine. Pure logic.

The model answers with one JSON object, constrained by :func:`decision_schema`:
``{"say": "..."}`` to speak, or ``{"tool": "<name>", "arguments": {...}}`` to call one
of the agent's tools with schema-valid arguments (the chat that asks for it is built in
``prompts.py``: :func:`~nur_notebook.server.pipeline.prompts.chat_messages`).
:class:`SayStream` reads the reply while it is generated and hands out the "say" text as
it arrives, so speech synthesis can start on the first sentence; :func:`parse_decision`
checks the whole reply at the end.

    >>> stream = SayStream()
    >>> stream.feed('{"say": "Hi')
    'Hi'
    >>> stream.feed(' there\\\\n!"}')
    ' there\\n!'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nur_notebook.server.pipeline.base import BrainEvent, SayDelta, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.text import normalize_digits, spoken_code

_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


class DecisionError(ValueError):
    """The model's reply is not a valid decision for these tools."""


def parameter_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """JSON schema of one tool parameter from its API shape (``required`` dropped)."""
    schema: dict[str, Any] = {}
    kind = spec.get("type")
    if isinstance(kind, str) and kind in _JSON_TYPES:
        schema["type"] = kind
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        schema["enum"] = list(spec["enum"])
    for key in ("items", "properties", "minimum", "maximum"):
        if key in spec:
            schema[key] = spec[key]
    return schema


def arguments_schema(tool: ToolSpec) -> dict[str, Any]:
    """The object schema of a tool's arguments: its parameters, required ones required."""
    return {
        "type": "object",
        "properties": {name: parameter_schema(p) for name, p in tool.parameters.items()},
        "required": [name for name, p in tool.parameters.items() if p.get("required")],
        "additionalProperties": False,
    }


def decision_schema(tools: list[ToolSpec]) -> dict[str, Any]:
    """The JSON schema every reply must match: say something or call a defined tool."""
    say: dict[str, Any] = {
        "type": "object",
        "properties": {"say": {"type": "string", "minLength": 1}},
        "required": ["say"],
        "additionalProperties": False,
    }
    options: list[dict[str, Any]] = []
    for tool in tools:
        options.append(
            {
                "type": "object",
                "properties": {"tool": {"const": tool.name}, "arguments": arguments_schema(tool)},
                "required": ["tool", "arguments"],
                "additionalProperties": False,
            }
        )
    # Each alternative's key order is the order the model writes the keys in: "tool"
    # before "arguments" (the way the model was tuned to call functions), "say" alone.
    return {"anyOf": [*options, say]} if options else say


def json_object(text: str, *, what: str) -> dict[str, Any]:
    """``text`` read as one JSON object; a DecisionError that names ``what`` otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecisionError(f"{what} is not JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise DecisionError(f"{what} is not a JSON object")
    return value


def parse_decision(text: str, tools: list[ToolSpec]) -> str | ToolCallDecision:
    """The say text, or the tool call, in a complete reply; DecisionError if invalid."""
    value = json_object(text, what="the reply")
    if isinstance(value.get("say"), str) and "tool" not in value:
        return str(value["say"])
    return validated_call(value.get("tool"), value.get("arguments", {}), tools)


def validated_call(name: object, arguments: object, tools: list[ToolSpec]) -> ToolCallDecision:
    """A call of a defined tool with its required arguments and no others, its string
    values normalised (:func:`normalize_arguments`); DecisionError otherwise."""
    by_name = {tool.name: tool for tool in tools}
    if not isinstance(name, str) or name not in by_name:
        raise DecisionError(f"the reply calls an undefined tool: {name!r}")
    if not isinstance(arguments, dict):
        raise DecisionError("tool arguments must be a JSON object")
    missing = [
        key
        for key, spec in by_name[name].parameters.items()
        if spec.get("required") and key not in arguments
    ]
    unknown = [key for key in arguments if key not in by_name[name].parameters]
    if missing or unknown:
        raise DecisionError(f"bad arguments for {name}: missing {missing}, unknown {unknown}")
    return ToolCallDecision(name=name, arguments=normalize_arguments(arguments, by_name[name]))


def normalize_arguments(arguments: dict[str, Any], tool: ToolSpec) -> dict[str, Any]:
    """String arguments as a tool wants them: a code the model copied as it was said
    ("K seven Q two", Whisper's "4, 4, 7") written as the code ("K7Q2", "447")."""
    out = dict(arguments)
    for key, value in arguments.items():
        spec = tool.parameters.get(key, {})
        if isinstance(value, str) and spec.get("type", "string") == "string":
            if not spec.get("enum"):
                out[key] = normalize_digits(spoken_code(value.strip()))
    return out


def envelope_jump(reply: str, tools: list[ToolSpec]) -> str:
    """The text a reply in the envelope writes next after ``reply`` (the reply so far)
    whatever the model would choose, or "" where the model has a choice to make.

    Every reply opens with ``{"``; after ``say`` or ``tool`` comes ``": "``, after the say
    string's closing quote ``}``; after a tool name, or a start only one tool's name has,
    the rest of the name, ``", "arguments": {`` and the name of the tool's first required
    parameter (the grammar writes required ones first, in order). The batch engine
    evaluates such text in one step with the token before it instead of one step a token
    (``BatchEngine.generate(jump=...)``), so speech starts three decode steps sooner, a
    call about ten, and a reply ends one sooner. The spaces are JSON's usual ones, the
    ones the model writes.

    >>> city = {"city": {"type": "string", "required": True}}
    >>> envelope_jump("", [])
    '{"'
    >>> envelope_jump('{"say', [])
    '": "'
    >>> envelope_jump('{"tool": "get_weather', [ToolSpec("get_weather", "", city)])
    '", "arguments": {"city": "'
    >>> envelope_jump('{"say": "Hi', [])
    ''
    >>> envelope_jump('{"say": "Hi."', [])
    '}'
    """
    if not reply:
        return '{"'
    if reply in ('{"say', '{"tool'):
        return '": "'
    say = '{"say": "'
    if reply.startswith(say) and len(reply) > len(say) and reply.endswith('"'):
        text = reply[len(say) : -1]
        escapes = len(text) - len(text.rstrip("\\"))
        return "}" if escapes % 2 == 0 else ""  # closed, unless the quote is escaped
    head = '{"tool": "'
    if not reply.startswith(head):
        return ""
    name = reply[len(head) :]
    going_on = [t for t in tools if t.name.startswith(name)]
    if not name or len(going_on) != 1:
        return ""  # the model chooses (or what it wrote is no tool's name)
    tool = going_on[0]
    rest = tool.name[len(name) :]
    required = [(key, spec) for key, spec in tool.parameters.items() if spec.get("required")]
    if not required:
        return rest + '", "arguments": {'
    key, spec = required[0]
    opening = '"' if spec.get("type", "string") == "string" else ""
    return rest + '", "arguments": {' + json.dumps(key) + ": " + opening


def stream_decision(pieces: Iterator[str], tools: list[ToolSpec]) -> Iterator[BrainEvent]:
    """Turn raw reply pieces into SayDelta events or one ToolCallDecision.

    Shared by the local and the OpenAI-compatible brains. A say reply streams as it
    arrives; a tool call is only emitted once the whole reply parsed and validated.
    A reply cut short (token cap) after some speech ends with what was said.
    """
    stream = SayStream()
    raw: list[str] = []
    said = False
    for piece in pieces:
        raw.append(piece)
        text = stream.feed(piece)
        if text:
            said = True
            yield SayDelta(text)
    if stream.is_say:
        if not said and not stream.done:
            raise DecisionError("the model gave an empty reply")
        return
    decision = parse_decision("".join(raw), tools)
    if isinstance(decision, ToolCallDecision):
        yield decision
    elif decision:
        yield SayDelta(decision)


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class SayStream:
    """Incremental reader of ``{"say": "..."}``: yields the string's characters as they come.

    Feed raw model output pieces; each call returns the newly decoded say text (maybe
    empty). JSON escapes split across pieces (``\\`` then ``n``, or a ``\\uXXXX``
    surrogate pair) are held back until complete. :attr:`is_say` turns False as soon
    as the reply is known to be a tool call, and :attr:`done` once the string closed.
    """

    def __init__(self) -> None:
        self._raw = ""
        self._pos = 0  # next unread index of _raw inside the say string
        self._state = "key"  # key -> string -> done, or "tool"
        self._pending_high: int | None = None

    @property
    def is_say(self) -> bool | None:
        """True for a say reply, False for a tool call, None while unknown."""
        if self._state == "tool":
            return False
        return None if self._state == "key" else True

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, piece: str) -> str:
        self._raw += piece
        if self._state == "key":
            self._find_start()
        return self._decode() if self._state == "string" else ""

    def _find_start(self) -> None:
        head = self._raw.lstrip()
        if not head.startswith("{"):
            return
        key_at = head.find('"', 1)
        if key_at < 0:
            return
        key_end = head.find('"', key_at + 1)
        if key_end < 0:
            return
        if head[key_at + 1 : key_end] != "say":
            self._state = "tool"
            return
        rest = head[key_end + 1 :]
        stripped = rest.lstrip(" \t\n\r:")
        if ":" in rest[: len(rest) - len(stripped)] and stripped.startswith('"'):
            self._state = "string"
            self._pos = len(self._raw) - len(stripped) + 1

    def _decode(self) -> str:
        out: list[str] = []
        raw, i = self._raw, self._pos
        while i < len(raw):
            char = raw[i]
            if char == '"':
                self._state = "done"
                i += 1
                break
            if char != "\\":
                out.append(char)
                i += 1
                continue
            if i + 1 >= len(raw):
                break  # escape split across pieces
            code = raw[i + 1]
            if code == "u":
                if i + 6 > len(raw):
                    break
                value = int(raw[i + 2 : i + 6], 16)
                i += 6
                if 0xD800 <= value < 0xDC00:
                    self._pending_high = value
                    continue
                if 0xDC00 <= value < 0xE000 and self._pending_high is not None:
                    value = 0x10000 + ((self._pending_high - 0xD800) << 10) + (value - 0xDC00)
                self._pending_high = None
                out.append(chr(value))
                continue
            out.append(_ESCAPES.get(code, code))
            i += 2
        self._pos = i
        return "".join(out)
