"""Markdown, HTML and text renderings of a transcript (pure)."""

from __future__ import annotations

from typing import Any

from nur_notebook.notebook.reprs import View, to_html, to_markdown, to_text
from nur_notebook.notebook.tables import Table, key_value_table

AGENT = {"name": "Customer Support", "version": 2}
TRANSCRIPT: list[dict[str, Any]] = [
    {"role": "agent", "text": "Hello!", "turn": 0, "agent_version": 2, "interrupted": False},
    {"role": "user", "text": "Where is <order> 1234?", "turn": 1, "agent_version": 2},
    {"role": "agent", "text": "It has", "turn": 1, "agent_version": 2, "interrupted": True},
]
CALLS: list[dict[str, Any]] = [
    {
        "name": "lookup_order",
        "arguments": {"order_id": "1234"},
        "output": {"status": "shipped"},
        "is_error": False,
        "duration_ms": 3.4,
        "turn": 1,
        "agent_version": 2,
        "status": "done",
    },
]


def test_markdown_orders_tool_calls_before_the_reply() -> None:
    text = to_markdown(View(TRANSCRIPT, CALLS, agent=AGENT))
    lines = text.splitlines()
    assert lines[0] == "### Customer Support v2"
    assert lines[2] == "- **Agent** (turn 0): Hello!"
    assert lines[3] == "- **User** (turn 1): Where is <order> 1234?"
    assert lines[4] == (
        '- *tool* `lookup_order({"order_id": "1234"}) returned {"status": "shipped"} in 3 ms`'
    )
    assert lines[5] == "- **Agent** (turn 1): It has *(interrupted)*"


def test_html_escapes_and_marks_errors() -> None:
    failed = [{**CALLS[0], "is_error": True, "output": "KeyError: '1234'", "status": "error"}]
    page = to_html(View(TRANSCRIPT, failed, agent=AGENT, status="listening"))
    assert "Where is &lt;order&gt; 1234?" in page
    assert "<order>" not in page
    assert "#b00020" in page  # the failed call is drawn in the error colour
    assert "failed" in page
    assert "Customer Support v2 &middot; listening" in page
    assert "<script" not in page


def test_empty_conversation_and_running_tool() -> None:
    assert "(nothing said yet)" in to_html(View([], [], agent={"name": "X"}))
    assert "*(nothing said yet)*" in to_markdown(View([], [], agent={"name": "X"}))
    running = [{**CALLS[0], "status": "running", "output": None}]
    assert to_text(View([], running, agent=AGENT)).splitlines()[1] == (
        '  [tool] lookup_order({"order_id": "1234"}) running'
    )


def test_a_reply_cut_before_its_first_word() -> None:
    cut = [{"role": "agent", "text": "", "turn": 0, "agent_version": 1, "interrupted": True}]
    expected = "(interrupted before a word was played)"
    assert to_text(View(cut, [], agent=AGENT)).splitlines()[1] == f"  Agent: {expected}"
    assert expected in to_markdown(View(cut, [], agent=AGENT))
    assert expected in to_html(View(cut, [], agent=AGENT))


def test_text_repr() -> None:
    assert to_text(View(TRANSCRIPT, [], agent=AGENT, status="ended")).splitlines() == [
        "<Conversation with Customer Support v2, ended>",
        "  Agent: Hello!",
        "  User: Where is <order> 1234?",
        "  Agent: It has [interrupted]",
    ]


def test_tables_render_text_and_html() -> None:
    table = Table(["id", "name"], [("agt_1", "Support"), ("agt_22", None)], title="2 agents")
    assert table.to_text().splitlines() == [
        "2 agents",
        "id      name",
        "------  -------",
        "agt_1   Support",
        "agt_22",
    ]
    assert "<td style='text-align:left'>agt_22</td>" in table._repr_html_()
    assert Table(["a"], [], empty="No agents yet.").to_text() == "No agents yet."
    kv = key_value_table({"running": True, "engines": {"stt": "whisper", "tts": "piper"}})
    assert "stt: whisper, tts: piper" in kv.to_text()
    assert "<script" not in Table(["x"], [("<script>",)]).to_html()
