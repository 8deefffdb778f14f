from __future__ import annotations

import json

import pytest
from brain_turns import LOOKUP

from nur_notebook.server.pipeline.base import (
    SayDelta,
    ToolCallDecision,
    ToolSpec,
)
from nur_notebook.server.pipeline.decision import (
    DecisionError,
    SayStream,
    decision_schema,
    envelope_jump,
    parse_decision,
    stream_decision,
)

BOOK = ToolSpec(
    "book_table",
    "Book a table",
    {
        "people": {"type": "integer", "required": True},
        "area": {"type": "string", "enum": ["inside", "terrace"], "description": "Where"},
    },
)


def test_schema_has_say_and_one_alternative_per_tool() -> None:
    schema = decision_schema([LOOKUP, BOOK])
    options = schema["anyOf"]
    assert options[-1]["required"] == ["say"]
    tools = {opt["properties"]["tool"]["const"]: opt for opt in options[:-1]}
    assert set(tools) == {"lookup_order", "book_table"}
    book_args = tools["book_table"]["properties"]["arguments"]
    assert book_args["required"] == ["people"]
    assert book_args["properties"]["people"] == {"type": "integer"}
    assert book_args["properties"]["area"] == {"type": "string", "enum": ["inside", "terrace"]}
    assert book_args["additionalProperties"] is False
    # The model writes keys in schema order: the tool name before its arguments.
    assert list(tools["lookup_order"]["properties"]) == ["tool", "arguments"]


def test_schema_without_tools_only_allows_say() -> None:
    assert decision_schema([]) == {
        "type": "object",
        "properties": {"say": {"type": "string", "minLength": 1}},
        "required": ["say"],
        "additionalProperties": False,
    }


def test_parse_decision_accepts_say_and_valid_calls() -> None:
    assert parse_decision('{"say": "Hi"}', [LOOKUP]) == "Hi"
    assert parse_decision(
        '{"tool": "lookup_order", "arguments": {"order_id": "1"}}', [LOOKUP]
    ) == ToolCallDecision("lookup_order", {"order_id": "1"})


@pytest.mark.parametrize(
    "reply",
    [
        "not json",
        "[1, 2]",
        '{"tool": "delete_everything", "arguments": {}}',
        '{"tool": "lookup_order", "arguments": {}}',
        '{"tool": "lookup_order", "arguments": {"order_id": "1", "extra": 2}}',
        '{"tool": "lookup_order", "arguments": "1"}',
    ],
)
def test_parse_decision_rejects_bad_replies(reply: str) -> None:
    with pytest.raises(DecisionError):
        parse_decision(reply, [LOOKUP])


def test_say_stream_unescapes_across_pieces() -> None:
    reply = json.dumps({"say": 'He said "hi"\\ then\nleft — ok 😀 café.'})
    stream = SayStream()
    out = "".join(stream.feed(char) for char in reply)
    assert out == 'He said "hi"\\ then\nleft — ok 😀 café.'
    assert stream.done
    assert stream.is_say


def test_say_stream_with_ascii_escapes_and_spaces() -> None:
    reply = '{ "say" :  "caf\\u00e9 \\ud83d\\ude00 tab\\there"}'
    stream = SayStream()
    pieces = [stream.feed(reply[i : i + 3]) for i in range(0, len(reply), 3)]
    assert "".join(pieces) == "café 😀 tab\there"
    assert sum(1 for piece in pieces if piece) > 3  # text comes out while it arrives


def test_say_stream_recognises_tool_calls() -> None:
    stream = SayStream()
    assert stream.feed('{"to') == ""
    assert stream.is_say is None
    assert stream.feed('ol": "lookup_order"') == ""
    assert stream.is_say is False


def test_stream_decision_yields_deltas_then_stops() -> None:
    pieces = ['{"', "say", '":', ' "', "Your", " order", " shipped", ".", '"}']
    events = list(stream_decision(iter(pieces), [LOOKUP]))
    assert all(isinstance(e, SayDelta) for e in events)
    assert len(events) >= 4
    assert "".join(e.text for e in events if isinstance(e, SayDelta)) == "Your order shipped."


def test_stream_decision_yields_one_validated_tool_call() -> None:
    pieces = ['{"tool": "lookup_', 'order", "arguments": {"order_id": "12', '345"}}']
    assert list(stream_decision(iter(pieces), [LOOKUP])) == [
        ToolCallDecision("lookup_order", {"order_id": "12345"})
    ]
    with pytest.raises(DecisionError):
        list(stream_decision(iter(['{"tool": "rm_rf", "arguments": {}}']), [LOOKUP]))


def test_calls_get_spoken_codes_written_as_codes() -> None:
    decision = parse_decision(
        '{"tool": "lookup_order", "arguments": {"order_id": "K seven Q two"}}', [LOOKUP]
    )
    assert decision == ToolCallDecision("lookup_order", {"order_id": "K7Q2"})
    spelled = parse_decision(
        '{"tool": "lookup_order", "arguments": {"order_id": "4, 4, 7"}}', [LOOKUP]
    )
    assert spelled == ToolCallDecision("lookup_order", {"order_id": "447"})


def test_the_envelope_jump_takes_only_what_every_reply_writes() -> None:
    code = {"type": "string", "required": True}
    tools = [
        ToolSpec("get", "", {}),
        ToolSpec("get_weather", "", {"days": {"type": "integer"}, "city": code}),
        ToolSpec("book", "", {"people": {"type": "integer", "required": True}, "day": code}),
    ]
    assert envelope_jump("", tools) == '{"'
    assert envelope_jump('{"say', tools) == '": "'
    assert envelope_jump('{"tool', tools) == '": "'
    # The first required parameter's name (and a string's opening quote) come too.
    assert envelope_jump('{"tool": "book', tools) == '", "arguments": {"people": '
    assert envelope_jump('{"tool": "get_weather', tools) == '", "arguments": {"city": "'
    # "get" may go on to "get_weather": the model chooses.
    assert envelope_jump('{"tool": "get', tools) == ""
    assert envelope_jump('{"tool": "get', tools[:1]) == '", "arguments": {'
    assert envelope_jump('{"tool": "bo', tools) == 'ok", "arguments": {"people": '
    assert envelope_jump('{"tool": "', tools) == ""
    assert envelope_jump('{"tool": "ge', tools) == ""
    assert envelope_jump('{"tool": "nope', tools) == ""
    assert envelope_jump('{"s', tools) == ""
    assert envelope_jump('{"say": "Hello', tools) == ""
    assert envelope_jump('{"say": "Hello."', tools) == "}"
    assert envelope_jump('{"say": "A \\"quote\\"', tools) == ""  # escaped: still open
    assert envelope_jump('{"say": "A \\\\"', tools) == "}"  # an escaped backslash, then the end
    assert envelope_jump('{"say": "', tools) == ""
    assert envelope_jump('{"tool": "book", "arguments": {"people": 2', tools) == ""
