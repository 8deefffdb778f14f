from __future__ import annotations

import datetime as dt

import pytest
from brain_turns import LOOKUP

from nur_notebook.server.pipeline.base import (
    BrainRequest,
    Message,
    SayDelta,
    ToolCallDecision,
    ToolSpec,
)
from nur_notebook.server.pipeline.decision import DecisionError
from nur_notebook.server.pipeline.tool_calls import (
    REPLY_ROOT,
    RULES,
    native_chat,
    native_grammar_rules,
    parse_native_call,
    stream_native,
    tool_definitions,
)

LIGHTS = ToolSpec(
    "switch_lights",
    "Lights on or off",
    {"room": {"type": "string", "required": True, "description": "The room"},
     "on": {"type": "boolean", "required": True}},
)  # fmt: skip


def test_the_system_message_puts_shared_rules_first_then_the_agent() -> None:
    day = dt.date(2026, 12, 1)
    history = [Message("user", "hi")]
    first = native_chat(BrainRequest("Be kind.", [LOOKUP], "de", history), today=day)
    later = native_chat(
        BrainRequest(
            "Be kind.",
            [LOOKUP],
            "de",
            [*history, Message("agent", "Hallo!"), Message("user", "order 12")],
        ),
        today=day,
    )
    system = first[0]["content"]
    assert first[0] == later[0]  # stable across turns: the cached prefix stays valid
    assert system.startswith(RULES)
    assert system.endswith("Be kind.")
    assert "German" in system
    assert "2026-12-01" in system
    assert "Tuesday" in system


def test_tools_come_before_the_agents_prompt_so_a_new_version_shares_them() -> None:
    day = dt.date(2026, 12, 1)
    v1, v2 = (
        native_chat(BrainRequest(p, [LOOKUP, LIGHTS], "en"), today=day)
        for p in ("Be kind.", "Be kind and brief.")
    )
    a, b = v1[0]["content"], v2[0]["content"]
    assert a[_shared(a, b) :] == "."  # only the prompt differs
    assert a.index("<tools>\n") < a.index('"switch_lights"') < a.index("\n</tools>")
    assert a.index("\n</tools>") < a.index("2026-12-01") < a.index("Be kind.")
    other = native_chat(BrainRequest("Be kind.", [], "en"), today=day)
    assert "<tools>\n" not in other[0]["content"]
    assert other[0]["content"].startswith(RULES)  # other tools: the rules still shared


def test_history_uses_the_templates_own_roles() -> None:
    history = [
        Message("user", "where is 12?"),
        Message("tool_call", name="lookup_order", arguments={"order_id": "12"}),
        Message("tool_result", '{"status": "late"}', name="lookup_order"),
        Message("tool_result", "timeout", name="lookup_order", is_error=True),
    ]
    messages = native_chat(BrainRequest("S", [LOOKUP], "en", history))
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "tool"]
    call = messages[2]["tool_calls"][0]["function"]
    assert call == {"name": "lookup_order", "arguments": {"order_id": "12"}}
    assert messages[3]["content"] == '{"status": "late"}'
    assert messages[4]["content"] == "error: timeout"


def test_tool_definitions_carry_descriptions_and_required_parameters() -> None:
    (definition,) = tool_definitions([LIGHTS])
    function = definition["function"]
    assert function["name"] == "switch_lights"
    assert function["parameters"]["required"] == ["room", "on"]
    assert function["parameters"]["properties"]["room"] == {
        "type": "string",
        "description": "The room",
    }


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


def _shared(a: str, b: str) -> int:
    """How many characters two texts share at their start."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
