"""The chat each reply format shows the model: a stable system message, then the history."""

from __future__ import annotations

import datetime as dt
import json

from brain_turns import LOOKUP

from nur_notebook.server.pipeline.base import BrainRequest, Message, ToolSpec
from nur_notebook.server.pipeline.prompts import (
    EXAMPLES,
    RULES,
    chat_messages,
    native_chat,
    tool_definitions,
)

LIGHTS = ToolSpec(
    "switch_lights",
    "Lights on or off",
    {"room": {"type": "string", "required": True, "description": "The room"},
     "on": {"type": "boolean", "required": True}},
)  # fmt: skip


def test_chat_messages_keep_a_stable_system_prefix_and_show_history() -> None:
    history = [
        Message("user", "where is my order 12345?"),
        Message("tool_call", name="lookup_order", arguments={"order_id": "12345"}),
        Message("tool_result", name="lookup_order", content='{"status": "shipped"}'),
        Message("agent", "It shipped."),
        Message("user", "thanks"),
    ]
    first = chat_messages(BrainRequest("Be kind.", [LOOKUP], "es", history[:1]))
    later = chat_messages(BrainRequest("Be kind.", [LOOKUP], "es", history))
    assert first[0] == later[0]
    assert first[0]["content"].endswith("Be kind.")  # the agent's own prompt last
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


def test_a_new_agent_version_shares_all_but_its_prompt() -> None:
    """What every agent with these tools is told comes first; the agent's prompt last."""
    first = chat_messages(BrainRequest("Be kind.", [LOOKUP], "en"))
    second = chat_messages(BrainRequest("Be kind and brief.", [LOOKUP], "en"))
    a, b = first[0]["content"], second[0]["content"]
    shared = _shared(a, b)
    assert a[shared:] == "."  # everything before the prompt's own words is shared
    assert a.index("lookup_order") < a.index("English") < a.index("Be kind.")
    other = chat_messages(BrainRequest("Be kind.", [], "en"))
    # Another agent, other tools: the voice rules are still the shared start.
    assert _shared(a, other[0]["content"]) > 80


def test_agents_with_other_tools_share_the_worked_examples() -> None:
    """The examples head every prompt with tools, so one cached prefix serves them all."""
    lookup = chat_messages(BrainRequest("Be kind.", [LOOKUP], "en"))[0]["content"]
    lights = chat_messages(BrainRequest("Be bright.", [LIGHTS], "en"))[0]["content"]
    shared = lookup[: _shared(lookup, lights)]
    assert EXAMPLES in shared
    assert shared.index(EXAMPLES) < shared.index("<tools>")  # only the tools differ
    # They show both moves in the reply's own JSON, with functions no agent has.
    assert '{"say": ' in EXAMPLES
    assert '{"tool": "order_pizza"' in EXAMPLES


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


def _shared(a: str, b: str) -> int:
    """How many characters two texts share at their start."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
