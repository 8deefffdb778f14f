from __future__ import annotations

import json

import pytest

from nur_notebook.server.pipeline.base import Message, SayDelta, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.decision import (
    DecisionError,
    SayStream,
    chat_messages,
    decision_schema,
    parse_decision,
    stream_decision,
    ungrounded_arguments,
    without_unsaid_options,
)

LOOKUP = ToolSpec(
    "lookup_order", "Look up order status by ID", {"order_id": {"type": "string", "required": True}}
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


def test_chat_messages_keep_a_stable_system_prefix_and_show_history() -> None:
    history = [
        Message("user", "where is my order 12345?"),
        Message("tool_call", name="lookup_order", arguments={"order_id": "12345"}),
        Message("tool_result", name="lookup_order", content='{"status": "shipped"}'),
        Message("agent", "It shipped."),
        Message("user", "thanks"),
    ]
    first = chat_messages(
        system_prompt="Be kind.", history=history[:1], tools=[LOOKUP], language="es"
    )
    later = chat_messages(system_prompt="Be kind.", history=history, tools=[LOOKUP], language="es")
    assert first[0] == later[0]
    assert first[0]["content"].startswith("Be kind.")
    assert "Spanish" in first[0]["content"]
    assert "lookup_order" in first[0]["content"]
    roles = [m["role"] for m in later]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert json.loads(later[2]["content"]) == {
        "tool": "lookup_order",
        "arguments": {"order_id": "12345"},
    }
    assert "lookup_order" in later[3]["content"]
    assert "shipped" in later[3]["content"]
    assert json.loads(later[4]["content"]) == {"say": "It shipped."}


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


def test_ids_nobody_said_are_ungrounded() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "12345"})
    asked = [Message("user", "Where is my order?")]
    assert ungrounded_arguments(call, asked) == ["order_id"]
    said = [Message("user", "Where is my order? It's 1 2 3 4 5.")]
    assert ungrounded_arguments(call, said) == []


def test_ids_from_tool_results_count_and_case_and_punctuation_do_not() -> None:
    call = ToolCallDecision("track", {"parcel": "DHL-77a", "order_id": "A-77"})
    history = [
        Message("user", "what about order a 77"),
        Message("tool_result", name="lookup_order", content='{"parcel": "dhl 77A"}'),
    ]
    assert ungrounded_arguments(call, history) == []


def test_values_without_digits_are_not_checked() -> None:
    call = ToolCallDecision("find_store", {"city": "Munich", "people": 4})
    assert ungrounded_arguments(call, [Message("user", "Any shop in München?")]) == []


def test_the_agent_saying_an_id_does_not_ground_it() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "12345"})
    history = [Message("user", "Where is my order?"), Message("agent", "Is it order 12345?")]
    assert ungrounded_arguments(call, history) == ["order_id"]


def test_digit_words_and_whisper_digits_ground_an_id() -> None:
    call = ToolCallDecision("lookup_order", {"order_id": "447"})
    assert ungrounded_arguments(call, [Message("user", "where is order four four seven?")]) == []
    assert ungrounded_arguments(call, [Message("user", "pedido cuatro cuatro siete")]) == []
    assert ungrounded_arguments(call, [Message("user", "where is my order?")]) == ["order_id"]


def test_dates_and_times_count_as_said_only_after_words_that_say_when() -> None:
    book = ToolCallDecision("book_table", {"date": "2026-12-02", "time": "19:30"})
    assert ungrounded_arguments(book, [Message("user", "tomorrow at half past seven")]) == []
    assert ungrounded_arguments(book, [Message("user", "a table please")]) == ["date", "time"]


def test_calls_get_spoken_codes_written_as_codes() -> None:
    decision = parse_decision(
        '{"tool": "lookup_order", "arguments": {"order_id": "K seven Q two"}}', [LOOKUP]
    )
    assert decision == ToolCallDecision("lookup_order", {"order_id": "K7Q2"})
    spelled = parse_decision(
        '{"tool": "lookup_order", "arguments": {"order_id": "4, 4, 7"}}', [LOOKUP]
    )
    assert spelled == ToolCallDecision("lookup_order", {"order_id": "447"})


def test_optional_values_nobody_said_are_dropped() -> None:
    tool = ToolSpec(
        "block_card",
        "Block a card",
        {"last_four": {"type": "string", "required": True},
         "reason": {"type": "string", "enum": ["lost", "stolen"]},
         "days": {"type": "integer"}},
    )  # fmt: skip
    guess = ToolCallDecision("block_card", {"last_four": "4417", "reason": "lost", "days": 7})
    plain = [Message("user", "Block my card ending 4417.")]
    assert without_unsaid_options(guess, tools=[tool], history=plain).arguments == {
        "last_four": "4417"
    }
    told = [Message("user", "Someone stole my card 4417, block it for seven days.")]
    kept = ToolCallDecision("block_card", {"last_four": "4417", "reason": "stolen", "days": 7})
    assert without_unsaid_options(kept, tools=[tool], history=told) == kept


def test_optional_times_worked_out_from_what_was_said_are_kept() -> None:
    tool = ToolSpec(
        "create_event",
        "Add an event",
        {"title": {"type": "string", "required": True}, "time": {"type": "string"}},
    )
    call = ToolCallDecision("create_event", {"title": "Dentist", "time": "15:00"})
    told = [Message("user", "Dentist tomorrow at 3 pm.")]
    assert without_unsaid_options(call, tools=[tool], history=told) == call
    untold = [Message("user", "Add the dentist.")]
    assert without_unsaid_options(call, tools=[tool], history=untold).arguments == {
        "title": "Dentist"
    }
