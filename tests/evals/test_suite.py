"""Loading suites: YAML text, files and dicts; every mistake named by field and line first."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from nur_notebook.evals import SuiteError, load_suite
from nur_notebook.evals.runner import pick_variants

EXAMPLE = """\
agent:
  name: Order Desk
  voice_id: rachel_v2
  language: en
  system_prompt: You are a support agent for an online shop.
  tools:
    - {name: lookup_order, parameters: {order_id: {type: string, required: true}}}
variants:
  v1: {}
  v2: {system_prompt: "You are a terse support agent."}
tools:
  lookup_order: {returns: {status: shipped, carrier: DHL}}
repeat: 3
scenarios:
  - name: order status
    mode: spoken
    turns:
      - user: "Where is my order four four seven?"
        expect:
          tool_call: {name: lookup_order, arguments: {order_id: "447"}}
          reply_contains: [shipped]
          max_latency_ms: 4000
      - user: "Thanks, bye."
        expect: {no_tool_call: true}
  - name: missing number
    turns: [{user: "Where is my order?", expect: {no_tool_call: true, reply_matches: "(?i)number"}}]
"""


def test_the_documented_example_loads() -> None:
    suite = load_suite(EXAMPLE)
    assert suite.name == "Order Desk"
    assert suite.variant_names() == ["v1", "v2"]
    assert suite.repeat == 3
    assert suite.agent_for("v2")["system_prompt"] == "You are a terse support agent."
    assert suite.agent_for("v1")["system_prompt"].startswith("You are a support agent")
    spoken, missing = suite.scenarios
    assert spoken.mode == "spoken"
    assert missing.mode == "text"
    first = spoken.turns[0].expect
    assert first.tool_calls[0].name == "lookup_order"
    assert first.tool_calls[0].arguments == {"order_id": "447"}
    assert first.reply_contains == ("shipped",)
    assert first.max_latency_ms == 4000.0
    assert spoken.turns[1].expect.no_tool_call is True
    assert missing.turns[0].expect.reply_matches == ("(?i)number",)
    assert suite.tools["lookup_order"].as_function()(order_id="1") == {
        "status": "shipped",
        "carrier": "DHL",
    }


def test_a_file_suite_is_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.yaml"
    path.write_text(EXAMPLE)
    assert load_suite(path).name == "orders"
    assert load_suite(str(path)).name == "orders"


def _problems(source: object) -> list[str]:
    with pytest.raises(SuiteError) as caught:
        load_suite(source)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_an_unknown_tool_is_named_with_its_line() -> None:
    text = EXAMPLE.replace("tool_call: {name: lookup_order", "tool_call: {name: find_order")
    (problem,) = _problems(text)
    assert problem.startswith("line 20: scenarios[0].turns[0].expect.tool_call.name")
    assert "unknown tool 'find_order'" in problem
    assert "lookup_order" in problem


def test_tool_answers_for_unknown_tools_and_bad_answers_are_refused() -> None:
    text = EXAMPLE.replace(
        "  lookup_order: {returns: {status: shipped, carrier: DHL}}",
        "  lookup_order: {returns: 1, error: boom}\n  cancel_order: {returns: ok}",
    )
    problems = _problems(text)
    assert any(p.startswith("line 12: tools.lookup_order") and "exactly one" in p for p in problems)
    assert any(
        p.startswith("line 13: tools.cancel_order") and "unknown tool" in p for p in problems
    )


def test_bad_expectations_modes_and_patterns_are_all_reported() -> None:
    text = (
        EXAMPLE.replace("mode: spoken", "mode: shouted")
        .replace("max_latency_ms: 4000", "max_latency_ms: -5\n          reply_has: shipped")
        .replace('reply_matches: "(?i)number"', 'reply_matches: "(unclosed"')
    )
    problems = _problems(text)
    assert any("line 16: scenarios[0].mode: unknown mode 'shouted'" in p for p in problems)
    assert any(
        "scenarios[0].turns[0].expect.max_latency_ms: must be a positive" in p for p in problems
    )
    assert any(
        "line 23: scenarios[0].turns[0].expect.reply_has: unknown key" in p for p in problems
    )
    assert any(
        "scenarios[1].turns[0].expect.reply_matches: not a valid regular" in p for p in problems
    )


def test_a_regex_argument_must_compile() -> None:
    text = EXAMPLE.replace('arguments: {order_id: "447"}', 'arguments: {order_id: "/[0-9/"}')
    (problem,) = _problems(text)
    assert "expect.tool_call.arguments.order_id: not a valid regular expression" in problem


def test_structure_mistakes_in_dicts_name_the_field() -> None:
    problems = _problems(
        {
            "agent": {"name": "Desk", "colour": "blue"},
            "repeat": 0,
            "scenarios": [{"name": "a", "turns": []}, {"turns": [{"expect": {}}]}],
        }
    )
    assert "agent.colour: unknown key; expected one of name, voice_id" in problems[0]
    assert any(p.startswith("repeat: must be a whole number") for p in problems)
    assert any(p.startswith("scenarios[0].turns: must be a non-empty list") for p in problems)
    assert any(p.startswith("scenarios[1].name: every scenario needs a name") for p in problems)
    assert any(p.startswith("scenarios[1].turns[0].user: a text turn needs") for p in problems)
    assert any(p.startswith("agent: the agent needs a system_prompt") for p in problems)


def test_bad_yaml_says_the_line() -> None:
    (problem,) = _problems("agent: {name: x\nscenarios: [")
    assert problem.startswith("line ")
    assert "not valid YAML" in problem


def test_audio_turns_need_existing_wav_files(tmp_path: Path) -> None:
    wav = tmp_path / "q.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 160)
    suite = {
        "agent": {"name": "Desk", "system_prompt": "Hi."},
        "scenarios": [{"name": "rec", "mode": "audio", "turns": [{"audio": "q.wav"}]}],
    }
    loaded = load_suite(suite, base_dir=tmp_path)
    assert loaded.scenarios[0].turns[0].audio == wav
    missing = {
        **suite,
        "scenarios": [{"name": "rec", "mode": "audio", "turns": [{"audio": "no.wav"}]}],
    }
    (problem,) = _problems({**missing})
    assert "scenarios[0].turns[0].audio: no such WAV file" in problem


def test_unknown_variants_are_refused_by_name() -> None:
    suite = load_suite(EXAMPLE)
    assert pick_variants(suite, ["v2"]) == ["v2"]
    assert pick_variants(suite, None) == ["v1", "v2"]
    with pytest.raises(SuiteError, match="no variant 'v3' in the suite; it has: v1, v2"):
        pick_variants(suite, ["v3"])


def test_python_functions_and_tool_objects_answer_calls() -> None:
    calls: list[str] = []

    def lookup(order_id: str) -> dict[str, str]:
        calls.append(order_id)
        return {"status": "lost"}

    suite = load_suite(EXAMPLE, tools={"lookup_order": lookup})
    assert suite.tools["lookup_order"].as_function()(order_id="9") == {"status": "lost"}
    assert calls == ["9"]
    dict_suite = load_suite(
        {
            "agent": {"name": "Desk", "system_prompt": "Hi.", "tools": [{"name": "t"}]},
            "tools": {"t": lambda **_: "called"},
            "scenarios": [
                {"name": "s", "turns": [{"user": "x", "expect": {"tool_call": {"name": "t"}}}]}
            ],
        }
    )
    assert dict_suite.tools["t"].as_function()() == "called"


def test_default_variants_apply_only_when_the_suite_names_none() -> None:
    text = "agent: {name: Desk}\nscenarios: [{name: s, turns: [{user: hi}]}]\n"
    defaults = {"v1": {"system_prompt": "One."}, "v2": {"system_prompt": "Two."}}
    suite = load_suite(text, default_variants=defaults)
    assert suite.variant_names() == ["v1", "v2"]
    assert suite.agent_for("v2")["system_prompt"] == "Two."
    own = load_suite(EXAMPLE, default_variants=defaults)
    assert own.agent_for("v2")["system_prompt"] == "You are a terse support agent."
