"""Parsing and checking the %%nur_agent line and body (pure: no server)."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from nur_notebook.notebook.options import AgentOptions, parse_agent_cell, resolve_tools
from nur_notebook.notebook.tools import Tool


def test_the_issue_example_parses() -> None:
    line = (
        "Customer Support --voice rachel_v2 --language en --tools lookup_order "
        "--max-turns 30 --as support"
    )
    body = "You are a friendly customer support agent for an e-commerce store.\n"
    assert parse_agent_cell(line, body) == AgentOptions(
        name="Customer Support",
        system_prompt=body,
        voice_id="rachel_v2",
        language="en",
        tool_names=("lookup_order",),
        max_turns=30,
        var="support",
    )


def test_body_is_taken_literally_and_defaults_apply() -> None:
    body = 'Answer as JSON: {"say": "$text"} and {name}\n  indented\n'
    options = parse_agent_cell('"Quoted Name"', body)
    assert options.system_prompt == body
    assert options.name == "Quoted Name"
    assert options.var == "conv"
    assert options.talk is True
    assert options.voice_id is None
    assert options.max_turns is None


def test_greeting_no_talk_and_several_tools() -> None:
    options = parse_agent_cell("Bot --greeting 'Hello there!' --no-talk --tools a,b,c", "prompt")
    assert options.greeting == "Hello there!"
    assert options.talk is False
    assert options.tool_names == ("a", "b", "c")


@pytest.mark.parametrize(
    ("line", "body", "message"),
    [
        ("", "prompt", "needs the agent's NAME"),
        ("--voice rachel_v2", "prompt", "needs the agent's NAME"),
        ("Bot", "", "it is empty"),
        ("Bot", "   \n\t", "it is empty"),
        ("Bot", None, "it is empty"),
        ("Bot --max-turns many", "p", "whole number"),
        ("Bot --max-turns 0", "p", "between 1 and 1000"),
        ("Bot --max-turns 1001", "p", "between 1 and 1000"),
        ("Bot --as 2fast", "p", "Python variable name"),
        ("Bot --as class", "p", "Python variable name"),
        ("Bot --tools a,a", "p", "more than once"),
        ("Bot --tools lookup-order", "p", "not one"),
        ("Bot --colour blue", "p", "unrecognized arguments"),
        ("Bot --vo rachel_v2", "p", "unrecognized arguments"),
        ("Bot --voice", "p", "expected one argument"),
        ("Bot --voice ''", "p", "--voice needs a value"),
        ("Bot 'unclosed", "p", "check the quotes"),
        ("--help", "p", "%%nur_agent NAME"),
    ],
)
def test_bad_cells_raise_usage_errors(line: str, body: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_agent_cell(line, body)


def _tool(name: str) -> Tool[..., Any]:
    def fn(x: str) -> str:
        """Echo."""
        return x

    return Tool(fn, name=name)


def test_resolve_tools_from_functions_lists_and_the_registry() -> None:
    a, b, c = _tool("a"), _tool("b"), _tool("c")
    namespace = {"a": a, "group": [b, c]}
    registry = {"a": a, "d": _tool("d")}
    found = resolve_tools(("a", "group", "d"), namespace=namespace, registry=registry)
    assert [t.name for t in found] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("names", "namespace", "message"),
    [
        (("nothing",), {}, "unknown tool 'nothing'"),
        (("plain",), {"plain": lambda x: x}, "plain function"),
        (("number",), {"number": 3}, "it is a int"),
        (("empty",), {"empty": []}, "it is a list"),
        (("a", "again"), {"again": "a"}, "it is a str"),
    ],
)
def test_resolve_tools_refuses_what_is_not_a_tool(
    names: tuple[str, ...], namespace: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_tools(names, namespace=namespace, registry={"a": _tool("a")})


def test_two_tools_with_one_name_are_refused() -> None:
    namespace = {"x": _tool("same"), "y": [_tool("same")]}
    with pytest.raises(UsageError, match="two tools are named 'same'"):
        resolve_tools(("x", "y"), namespace=namespace, registry={})
