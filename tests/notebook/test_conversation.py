"""A Conversation made by %%nur_agent, driven from Python against the real engines."""

from __future__ import annotations

import io
import json
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from shell_support import kit_shell

from nur_notebook.client import NurClient

if TYPE_CHECKING:
    from notebook_server import RunningServer

pytestmark = pytest.mark.engines

TOOLS_CELL = '''
import nur_notebook

CALLS = []

@nur_notebook.tool
def lookup_order(order_id: str) -> dict:
    """Look up the shipping status of an order by its order number.

    Args:
        order_id: The order number, digits only.
    """
    CALLS.append(order_id)
    return {"order_id": order_id, "status": "shipped", "carrier": "DHL"}
'''
PROMPT = (
    "You are a customer support agent for an online shop. Answer in one or two short "
    "sentences. When the user asks about an order, always call lookup_order with the order "
    "number first, then tell them exactly what it returned."
)


def espeak_wav(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    return path


@pytest.fixture
def shell(engines_env: RunningServer) -> Iterator[InteractiveShell]:
    with kit_shell(TOOLS_CELL, conversations=("support",)) as ip:
        yield ip


def test_spoken_question_calls_the_tool_and_the_answer_uses_it(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    shell.run_cell_magic(
        "nur_agent",
        "Support --tools lookup_order --greeting 'Hi, how can I help?' --as support",
        PROMPT,
    )
    conv: Any = shell.user_ns["support"]
    greeting = conv.wait(timeout=240)
    assert greeting is not None
    assert greeting["turn"] == 0

    conv.play(espeak_wav("Where is my order one two three four five?", tmp_path / "q.wav"))
    reply = conv.wait(timeout=240)
    assert reply is not None
    user = [e for e in conv.transcript if e["role"] == "user"]
    assert "order" in user[-1]["text"].lower()
    assert shell.user_ns["CALLS"] == ["12345"]
    (call,) = conv.tool_calls
    assert call["arguments"] == {"order_id": "12345"}
    assert call["output"]["status"] == "shipped"
    assert call["is_error"] is False
    assert call["duration_ms"] is not None
    assert "shipped" in reply["text"].lower()
    assert reply["turn"] == user[-1]["turn"]
    assert conv.metrics
    assert conv.metrics[-1]["voice_to_voice_ms"] is not None

    document = json.loads(conv.to_json())
    assert document["tool_calls"][0]["arguments"] == {"order_id": "12345"}
    assert "lookup_order" in conv.to_markdown()

    path = conv.save_audio(tmp_path / "talk.wav")
    with wave.open(io.BytesIO(path.read_bytes())) as wav:
        assert wav.getnchannels() == 2
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    user_rms, agent_rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=0))
    assert user_rms > 100  # the spoken question
    assert agent_rms > 100  # the greeting and the answer
    conv.end()
    assert conv.status == "ended"


def test_typed_turn_and_the_text_fallback(
    shell: InteractiveShell, engines_server: RunningServer
) -> None:
    shell.run_cell_magic("nur_agent", "Support --tools lookup_order --as support", PROMPT)
    conv: Any = shell.user_ns["support"]
    conv.say("What is the status of order 777?")
    reply = conv.wait(timeout=240)
    assert reply is not None
    assert shell.user_ns["CALLS"] == ["777"]
    bundle, _ = conv._repr_mimebundle_()
    assert "What is the status of order 777?" in bundle["text/html"]
    assert "lookup_order" in bundle["text/plain"]
    conv.end()
    assert conv.status == "ended"
    # Ended on the server too, not just in the widget.
    with NurClient(api_key=engines_server.api_key, base_url=engines_server.base_url) as client:
        assert client.sessions.retrieve(conv.session.session_id).status == "ended"
