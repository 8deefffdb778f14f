"""``nur-notebook talk`` as a user runs it: a subprocess against the real local server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nur_server_process import LOOKUP_ORDER
from session_server import CHAT_PROMPT, SUPPORT_PROMPT, Server, speech_wav

from nur_notebook.client import NurClient
from nur_notebook.realtime.audio import read_wav

TOOLS_FILE = """
def lookup_order(order_id: str) -> dict:
    return {"order_id": order_id, "status": "shipped", "carrier": "DHL"}
"""


def _agent(server: Server, **options: object) -> str:
    with NurClient(api_key=server.api_key, base_url=server.base_url) as client:
        agent = client.agents.create(name="Support", voice_id="joe", **options)  # type: ignore[arg-type]
    return agent.id


def _talk(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nur_notebook", "talk", *args,
         "--base-url", server.base_url, "--api-key", server.api_key],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


@pytest.mark.engines
def test_talk_with_typed_turns_prints_the_conversation_and_writes_the_audio(
    server: Server, tmp_path: Path
) -> None:
    agent_id = _agent(server, system_prompt=SUPPORT_PROMPT, tools=[LOOKUP_ORDER])
    tools = tmp_path / "shop_tools.py"
    tools.write_text(TOOLS_FILE)
    out = tmp_path / "reply.wav"
    done = _talk(
        server,
        agent_id,
        "--text", "Where is my order 12345?",
        "--text", "Thank you!",
        "--tool", f"{tools}:lookup_order",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "user: Where is my order 12345?"
    assert "user: Thank you!" in lines
    tool_lines = [line for line in lines if line.startswith("tool: lookup_order(")]
    assert tool_lines
    assert "12345" in tool_lines[0]
    assert '"status": "shipped"' in tool_lines[0]
    assert sum(line.startswith("agent: ") for line in lines) == 2
    metrics = [line for line in lines if line.startswith("turn ")]
    assert len(metrics) == 2
    assert all("voice-to-voice" in line and " ms" in line for line in metrics)
    samples, rate = read_wav(out)
    assert rate == 24_000
    assert samples.size / rate > 1.0
    assert f"written to {out}" in done.stderr


@pytest.mark.engines
def test_talk_with_a_recording(server: Server, tmp_path: Path) -> None:
    agent_id = _agent(server, system_prompt=CHAT_PROMPT, tools=[])
    wav = speech_wav("What is the weather like on Mars?", tmp_path / "question.wav")
    out = tmp_path / "answer.wav"
    done = _talk(server, agent_id, "--wav", str(wav), "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    user = [line.lower() for line in lines if line.startswith("user: ")]
    assert len(user) == 1
    assert "weather" in user[0]
    assert "mars" in user[0]
    assert any(line.startswith("agent: ") for line in lines)
    assert any(line.startswith("turn ") for line in lines)
    samples, rate = read_wav(out)
    assert samples.size / rate > 0.5


def test_talk_refuses_bad_input_without_touching_the_server(
    rest_server: Server, tmp_path: Path
) -> None:
    not_wav = tmp_path / "notes.wav"
    not_wav.write_text("hello")
    done = _talk(rest_server, "agt_x", "--wav", str(not_wav))
    assert done.returncode == 2
    assert "not a PCM WAV file" in done.stderr
    done = _talk(rest_server, "agt_x", "--text", "hi", "--tool", "nosuchmodule_xyz:f")
    assert done.returncode == 2
    assert "nosuchmodule_xyz" in done.stderr
    done = _talk(rest_server, "agt_doesnotexist", "--text", "hi")
    assert done.returncode == 1
    assert "agt_doesnotexist" in done.stderr
