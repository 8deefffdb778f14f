from __future__ import annotations

import pytest
from brain_turns import LOOKUP

from nur_notebook.server.pipeline.base import (
    SayDelta,
    ToolCallDecision,
)
from nur_notebook.server.pipeline.decision import DecisionError
from nur_notebook.server.pipeline.tool_calls import (
    REPLY_ROOT,
    native_grammar_rules,
    parse_native_call,
    stream_native,
)


def test_grammar_has_speech_and_every_call_form_only_with_tools() -> None:
    with_calls = native_grammar_rules('root ::= "{}"\n')
    assert with_calls.startswith(f"{REPLY_ROOT} ::= nur-say | ")
    assert '"<tool_call>"' in with_calls
    assert "| root |" in with_calls
    speech_only = native_grammar_rules(None)
    assert speech_only.startswith(f"{REPLY_ROOT} ::= nur-say\n")
    assert "tool_call" not in speech_only


@pytest.mark.parametrize(
    "reply",
    [
        '<tool_call>\n{"name": "lookup_order", "arguments": {"order_id": "A-7"}}\n</tool_call>',
        '{"name": "lookup_order", "arguments": {"order_id": "A-7"}}',
        '```json\n{"name": "lookup_order", "arguments": {"order_id": "A-7"}}\n```',
        '{"name": "lookup_order", "arguments": "{\\"order_id\\": \\"A-7\\"}"}',
    ],
)
def test_a_call_parses_in_every_form_the_model_writes(reply: str) -> None:
    assert parse_native_call(reply, [LOOKUP]) == ToolCallDecision(
        "lookup_order", {"order_id": "A-7"}
    )


@pytest.mark.parametrize(
    "reply",
    [
        '<tool_call>\n{"name": "drop_db", "arguments": {}}\n</tool_call>',
        '{"name": "lookup_order", "arguments": {}}',
        '{"name": "lookup_order", "arguments": {"order_id": "1", "extra": 2}}',
        "<tool_call>\nnot json",
        "Hello",
    ],
)
def test_bad_calls_are_refused(reply: str) -> None:
    with pytest.raises(DecisionError):
        parse_native_call(reply, [LOOKUP])


def test_speech_streams_as_it_comes() -> None:
    events = list(stream_native(iter(["Sure", ", it", " shipped."]), [LOOKUP]))
    assert events == [SayDelta("Sure"), SayDelta(", it"), SayDelta(" shipped.")]


def test_a_call_split_across_pieces_is_one_normalised_decision() -> None:
    pieces = ["<tool", "_call>\n{\"name\": \"lookup_", 'order", "arguments": {"order_id": ',
              '"four four seven"}}\n</tool_call>', "ignored"]  # fmt: skip
    assert list(stream_native(iter(pieces), [LOOKUP])) == [
        ToolCallDecision("lookup_order", {"order_id": "447"})
    ]


def test_an_empty_reply_is_an_error() -> None:
    with pytest.raises(DecisionError):
        list(stream_native(iter([" ", ""]), [LOOKUP]))
