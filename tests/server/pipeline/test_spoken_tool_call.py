"""A question spoken by eSpeak NG's default voice, heard by the server's Whisper and
decided by its brain, calls the tool with the number that was said."""

from __future__ import annotations

from typing import Any

import pytest
from engine_speech import Speak

from nur_notebook.server.pipeline.base import BrainRequest, Message, ToolCallDecision, ToolSpec
from nur_notebook.server.pipeline.stt import stt_hints

pytestmark = pytest.mark.engines

TOOLS = [
    ToolSpec(
        "get_balance",
        "Get the balance of a bank account",
        {"account_number": {"type": "string", "required": True}},
    ),
    ToolSpec(
        "track_order",
        "Find where an order is",
        {"order_id": {"type": "string", "required": True}},
    ),
]


@pytest.mark.parametrize(
    ("spoken", "tool", "argument", "value"),
    [
        ("Where is my order four four seven?", "track_order", "order_id", "447"),
        ("What is the balance of account four four seven?", "get_balance", "account_number", "447"),
        ("Please track order number five five eight one.", "track_order", "order_id", "5581"),
    ],
)
def test_a_spoken_number_reaches_the_tool(
    whisper: Any,
    llama_brain: Any,
    speak: Speak,
    spoken: str,
    tool: str,
    argument: str,
    value: str,
) -> None:
    heard = whisper.transcribe(speak(spoken), language="en", hints=stt_hints(TOOLS))
    assert value in heard.replace(" ", ""), heard
    events = list(
        llama_brain.respond(
            BrainRequest(
                "You are the voice assistant of a bank and shop.",
                tools=TOOLS,
                language="en",
                history=[Message("user", heard)],
            )
        )
    )
    assert events == [ToolCallDecision(tool, {argument: value})], (heard, events)
