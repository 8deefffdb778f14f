"""A conversation's prompt changed live (--update); a spoken conversation replayed as an eval."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from IPython.core.interactiveshell import InteractiveShell
from shell_support import kit_shell

if TYPE_CHECKING:
    from notebook_server import RunningServer

pytestmark = pytest.mark.engines

TOOLS_CELL = '''
import nur_notebook

@nur_notebook.tool
def lookup_order(order_id: str) -> dict:
    """Look up the shipping status of an order by its order number.

    Args:
        order_id: The order number, digits only.
    """
    return {"order_id": order_id, "status": "shipped"}
'''
PROMPT = (
    "You are a support agent for an online shop. When the user gives an order number, call "
    "lookup_order with it, then say the status in one short sentence."
)


@pytest.fixture
def shell(engines_env: RunningServer) -> Iterator[InteractiveShell]:
    with kit_shell(TOOLS_CELL, conversations=("desk",)) as ip:
        yield ip


@pytest.mark.timeout(900)
def test_update_changes_the_prompt_of_the_running_session(shell: InteractiveShell) -> None:
    shell.run_cell_magic("nur_agent", "Live Desk --as desk", "Answer in one short sentence.")
    desk = shell.user_ns["desk"]
    session_id = desk.session.session_id
    desk.say("Hello there.")
    desk.wait()
    new_prompt = "You are terse. Answer in at most four words."
    result = shell.run_cell_magic("nur_agent", "Live Desk --update --as desk", new_prompt)
    assert result is None
    assert shell.user_ns["desk"] is desk  # the same conversation, the same session
    assert desk.session.session_id == session_id
    assert desk.agent["version"] == 2
    assert desk.agent["system_prompt"] == new_prompt  # as the server's session.updated says
    desk.say("How are you?")
    desk.wait()
    replies = [e for e in desk.transcript if e["role"] == "agent"]
    assert [e["agent_version"] for e in replies] == [1, 2]


def test_update_needs_a_running_conversation(shell: InteractiveShell) -> None:
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="no running conversation of 'Nobody'"):
        shell.run_cell_magic("nur_agent", "Nobody --update", "Hi.")


@pytest.mark.timeout(1200)
def test_a_spoken_conversation_round_trips_as_a_scenario(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    shell.run_cell_magic(
        "nur_agent", "Voice Desk --tools lookup_order --max-turns 5 --as desk", PROMPT
    )
    desk = shell.user_ns["desk"]
    wav = tmp_path / "q.wav"
    text = "Where is my order? The number is four four seven."
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
    desk.play(wav)
    desk.wait()
    scenario = desk.to_scenario("by voice")
    assert scenario["mode"] == "audio"
    (turn,) = scenario["turns"]
    heard = turn["user"]
    assert "order" in heard.lower()
    shell.user_ns["good"] = scenario
    shell.run_cell_magic(
        "nur_eval",
        "--scenarios good --wait --as replay",
        "agent: {name: Voice Desk}\nscenarios: []\n",
    )
    result = shell.user_ns["replay"].wait()
    (row,) = result.rows
    assert row["variant"] == "v1"  # the kernel's one version of Voice Desk
    assert row["turns"][0]["user"] == heard
    assert row["turns"][0]["transcribed"]  # the recorded audio went through VAD and STT again
    names = [c["name"] for c in row["checks"]]
    assert names == [n for n in names if n.startswith("turn 1 ")]
    expected = "tool_call" if "tool_call" in turn["expect"] else "no_tool_call"
    assert any(expected in n for n in names)
