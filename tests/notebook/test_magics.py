"""%load_ext, %%nur_agent and %nur in a real IPython shell against the real local server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from shell_support import ORDER_TOOL_CELL, kit_shell

from nur_notebook.notebook import extension
from nur_notebook.notebook.conversation import Conversation
from nur_notebook.notebook.tables import Table

if TYPE_CHECKING:
    from notebook_server import RunningServer

TOOLS_CELL = (
    ORDER_TOOL_CELL
    + """
def not_a_tool(x: str) -> str:
    return x
"""
)


@pytest.fixture
def ip(local_env: RunningServer) -> Iterator[InteractiveShell]:
    with kit_shell(TOOLS_CELL, conversations=("conv", "support", "bot")) as shell:
        yield shell


def test_load_ext_reuses_the_running_local_server(
    local_env: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("nur_notebook")
    try:
        out = capsys.readouterr().out
        assert (
            f"connected to the local Nur server at {local_env.base_url} "
            "(speech engines off: REST only)"
        ) in out
        context = extension.current_context()
        assert context is not None
        assert context.mode == "local"
        assert context.server is not None
        assert context.server.owned is False  # found, not started: the kernel won't stop it
        assert context.api_key == local_env.api_key
        registered = list((local_env.data_dir / "kernels").iterdir())
        assert [path.name.split("-")[0] for path in registered] == [str(os.getpid())]
    finally:
        shell.extension_manager.unload_extension("nur_notebook")
    assert local_env.process.poll() is None  # unloading left the shared server running
    assert extension.current_context() is None
    assert not registered[0].exists()  # the kernel no longer counts as using it


def test_load_ext_with_an_api_key_uses_that_api(
    nur_server: RunningServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUR_API_KEY", nur_server.api_key)
    monkeypatch.setenv("NUR_BASE_URL", nur_server.base_url + "/")
    monkeypatch.setenv("NUR_NOTEBOOK_DATA_DIR", "/nonexistent/never/used")
    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("nur_notebook")
    try:
        assert f"connected to the Nur API at {nur_server.base_url}\n" in capsys.readouterr().out
        context = extension.current_context()
        assert context is not None
        assert (context.mode, context.server) == ("hosted", None)
        with pytest.raises(UsageError, match="hosted API"):
            shell.run_line_magic("nur", "server status")
    finally:
        shell.extension_manager.unload_extension("nur_notebook")


def _names(server: RunningServer) -> list[tuple[str, str]]:
    return sorted((a["id"], a["name"]) for a in server.agents())


BAD_CELLS = [
    ("Support --voice nobody", "prompt", "unknown voice 'nobody'"),
    ("Support --language xx", "prompt", "does not speak language 'xx'"),
    ("Support --tools missing_tool", "prompt", "unknown tool 'missing_tool'"),
    ("Support --tools not_a_tool", "prompt", "plain function"),
    ("Support", "  \n", "empty"),
    ("Support --max-turns 0", "prompt", "between 1 and 1000"),
    ("Support --bogus", "prompt", "unrecognized arguments: --bogus"),
    ("", "prompt", "NAME"),
]


@pytest.mark.parametrize(("line", "body", "message"), BAD_CELLS)
def test_bad_cells_create_nothing(
    ip: InteractiveShell, local_env: RunningServer, line: str, body: str, message: str
) -> None:
    before = _names(local_env)
    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("nur_agent", line, body)
    assert _names(local_env) == before
    assert "conv" not in ip.user_ns


def test_no_talk_creates_versions_with_the_cells_options(
    ip: InteractiveShell, local_env: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = 'Reply as JSON like {"say": "..."}; costs are in $.\n'
    line = "Quiet Bot --voice joe --language fr --tools lookup_order --max-turns 7 --as bot"
    ip.run_cell_magic("nur_agent", line + " --no-talk", prompt)
    first = ip.user_ns["bot"]
    ip.run_cell_magic("nur_agent", line + " --no-talk", prompt + "Be brief.\n")
    second = ip.user_ns["bot"]
    out = capsys.readouterr().out
    assert "Agent 'Quiet Bot' v1" in out
    assert "Agent 'Quiet Bot' v2" in out
    stored = {a["id"]: a for a in local_env.agents()}
    assert stored[first.id]["system_prompt"] == prompt  # literally, braces and $ included
    assert stored[second.id]["system_prompt"] == prompt + "Be brief.\n"
    agent = stored[second.id]
    assert (agent["voice_id"], agent["language"], agent["max_turns"]) == ("joe", "fr", 7)
    assert agent["tools"] == [
        {
            "name": "lookup_order",
            "description": "Look up order status by ID.",
            "parameters": {
                "order_id": {"type": "string", "required": True, "description": "The order number."}
            },
        }
    ]

    table = ip.run_line_magic("nur", "agents")
    assert isinstance(table, Table)
    text = table.to_text()
    assert first.id in text
    assert second.id in text
    row = next(line for line in text.splitlines() if second.id in line)
    assert "Quiet Bot" in row
    assert " 2 " in row  # this kernel's version count for the name

    ip.run_line_magic("nur", "delete Quiet Bot")
    remaining = {a["id"] for a in local_env.agents()}
    assert first.id not in remaining
    assert second.id not in remaining
    assert "Deleted 2 agents" in capsys.readouterr().out


def test_nur_line_magic_commands(ip: InteractiveShell, local_env: RunningServer) -> None:
    voices = ip.run_line_magic("nur", "voices")
    assert "rachel_v2" in voices.to_text()
    assert "<table>" in voices._repr_html_()
    status = ip.run_line_magic("nur", "server status")
    text = status.to_text()
    assert local_env.base_url in text
    assert str(local_env.process.pid) in text
    assert ["kernels", "1"] in status.rows  # this kernel
    with pytest.raises(UsageError, match="no agent named 'Nobody Here'"):
        ip.run_line_magic("nur", "delete Nobody Here")
    with pytest.raises(UsageError, match="Nur API"):
        ip.run_line_magic("nur", "delete agt_doesnotexist")
    with pytest.raises(UsageError, match="cannot do 'frobnicate'"):
        ip.run_line_magic("nur", "frobnicate")
    with pytest.raises(UsageError, match="unknown action 'restart'"):
        ip.run_line_magic("nur", "server restart")


def test_nur_agent_opens_a_conversation(ip: InteractiveShell, local_env: RunningServer) -> None:
    ip.run_cell_magic(
        "nur_agent",
        "Customer Support --tools lookup_order --as support",
        "You are a friendly customer support agent for an e-commerce store.",
    )
    conv: Any = ip.user_ns["support"]
    assert isinstance(conv, Conversation)
    assert conv.agent["name"] == "Customer Support"
    assert conv.agent["version"] == 1
    assert conv.agent["voice_id"] == "rachel_v2"  # the default voice
    assert conv.session.agent_id == conv.agent["agent_id"]
    assert conv.session.session_id.startswith("ses_")
    bundle, _metadata = conv._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "text/html" in bundle
    assert "Customer Support v1" in bundle["text/plain"]
    # This test server runs without speech engines: the session says so, clearly.
    assert conv.wait(timeout=30) is None
    assert conv.status == "error"
    assert "without speech engines" in conv.error
    conv.end()
    assert conv.ended
    with pytest.raises(RuntimeError, match="has ended"):
        conv.say("hello?")
