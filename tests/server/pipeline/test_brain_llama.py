from __future__ import annotations

from typing import Any

import pytest
from brain_turns import LOOKUP, SUPPORT, respond, said

from nur_notebook.server.pipeline.base import (
    BrainRequest,
    Message,
    SayDelta,
    ToolCallDecision,
    ToolSpec,
)

pytestmark = pytest.mark.engines

BOOK = ToolSpec(
    "book_table",
    "Book a table at the restaurant",
    {"people": {"type": "integer", "required": True}, "time": {"type": "string", "required": True}},
)


def test_plain_question_gets_a_streamed_spoken_answer(llama_brain: Any) -> None:
    events = respond(llama_brain, [Message("user", "Hello! How are you today?")], [LOOKUP])
    text = said(events)
    assert len(events) >= 3  # streamed in pieces, not one block
    assert any(word in text.lower() for word in ("hello", "hi", "help", "good", "great"))


def test_order_question_calls_the_tool_with_the_number(llama_brain: Any) -> None:
    events = respond(llama_brain, [Message("user", "Where is my order 12345?")], [LOOKUP, BOOK])
    assert events == [ToolCallDecision("lookup_order", {"order_id": "12345"})]


def test_typed_arguments_follow_the_schema(llama_brain: Any) -> None:
    events = respond(
        llama_brain, [Message("user", "Please book a table for 4 people at 8 pm.")], [LOOKUP, BOOK]
    )
    assert len(events) == 1
    assert isinstance(events[0], ToolCallDecision), events
    assert events[0].name == "book_table"
    assert events[0].arguments["people"] == 4
    assert isinstance(events[0].arguments["time"], str)


def test_tool_result_is_turned_into_an_answer(llama_brain: Any) -> None:
    history = [
        Message("user", "Where is my order 12345?"),
        Message("tool_call", name="lookup_order", arguments={"order_id": "12345"}),
        Message(
            "tool_result",
            name="lookup_order",
            content='{"status": "shipped", "arrives": "Friday"}',
        ),
    ]
    text = said(respond(llama_brain, history, [LOOKUP]))
    assert "shipped" in text.lower() or "friday" in text.lower(), text


def test_without_tools_it_never_calls_one(llama_brain: Any) -> None:
    events = respond(llama_brain, [Message("user", "Where is my order 12345?")], [])
    assert said(events)


def test_answers_in_the_agent_language(llama_brain: Any) -> None:
    text = said(respond(llama_brain, [Message("user", "Hola, ¿qué tal?")], [], language="es"))
    spanish = {"hola", "estoy", "bien", "gracias", "ayudar", "puedo", "día", "qué", "cómo", "en"}
    words = {w.strip("¡!¿?.,").lower() for w in text.split()}
    assert words & spanish, text


def test_closing_the_stream_stops_generation(llama_brain: Any) -> None:
    stream = llama_brain.respond(
        BrainRequest(
            SUPPORT,
            tools=[],
            language="en",
            history=[Message("user", "Tell me a long story about a dragon.")],
        )
    )
    first = next(stream)
    assert isinstance(first, SayDelta)
    stream.close()  # barge-in
    # The shared model is free again at once: the next turn runs normally.
    assert said(respond(llama_brain, [Message("user", "Thanks, bye!")], []))


def test_with_tools_held_back_it_must_speak(llama_brain: Any) -> None:
    events = list(
        llama_brain.respond(
            BrainRequest(
                SUPPORT,
                tools=[LOOKUP],
                language="en",
                history=[Message("user", "Where is my order 12345?")],
                allow_tools=False,  # the tools stay in the prompt, the grammar: speech only
            )
        )
    )
    assert said(events)
