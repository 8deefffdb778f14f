from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from nur_notebook.server.pipeline.base import Message
from nur_notebook.server.pipeline.decision import chat_messages, parse_decision
from nur_notebook.server.pipeline.llama_batch import (
    BatchEngine,
    GenerationError,
    _Slot,
    choose_slot,
    common_prefix,
)

SHOP = "You are a friendly assistant for a shoe shop. Answer in one short sentence."
QUESTIONS = (
    "Hello, what are your opening hours?",
    "How long does delivery take?",
    "Do you have a store in Berlin?",
    "Is there a discount for students?",
)


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2


def test_a_session_gets_its_own_slot_back() -> None:
    slots = [_Slot(0, [1, 2], key="a", last_used=1), _Slot(1, [3], key="b", last_used=2)]
    assert choose_slot(slots, "b") is slots[1]
    assert choose_slot(slots, "a") is slots[0]


def test_an_empty_slot_before_evicting_and_then_the_least_recent() -> None:
    slots = [_Slot(0, [1], key="a", last_used=5), _Slot(1), _Slot(2, [4], key="c", last_used=1)]
    assert choose_slot(slots, "new") is slots[1]
    slots[1].busy = True
    assert choose_slot(slots, "new") is slots[2]  # c was used longest ago
    for slot in slots:
        slot.busy = True
    assert choose_slot(slots, "a") is None  # all busy: the request waits


def test_a_session_waits_for_its_own_busy_slot() -> None:
    slots = [_Slot(0, [1, 2, 3], key="a", busy=True), _Slot(1)]
    assert choose_slot(slots, "a") is None  # its warm-up is running: wait for that cache
    assert choose_slot(slots, "b") is slots[1]


engines = pytest.mark.engines


def _prompt(brain: Any, question: str, history: list[Message] | None = None) -> list[int]:
    messages = chat_messages(
        system_prompt=SHOP,
        history=[*(history or []), Message("user", question)],
        tools=[],
        language="en",
    )
    tokens: list[int] = brain.prompt_tokens(messages)
    return tokens


def _say(brain: Any, engine: BatchEngine, tokens: list[int], key: str) -> str:
    grammar = brain._grammar([])
    text = "".join(engine.generate(tokens, key=key, grammar=grammar, max_tokens=60))
    decision = parse_decision(text, [])
    assert isinstance(decision, str), text
    assert decision, text
    return decision


@engines
def test_concurrent_replies_decode_together(llama_brain: Any) -> None:
    engine: BatchEngine = llama_brain.engine
    prompts = [_prompt(llama_brain, q) for q in QUESTIONS]
    replies: dict[int, str] = {}
    steps, tokens = engine.steps, engine.step_tokens

    def ask(i: int) -> None:
        replies[i] = _say(llama_brain, engine, prompts[i], key=f"batch-{i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(replies) == [0, 1, 2, 3]
    evaluated = engine.step_tokens - tokens
    # Four replies of several tokens each, in fewer steps than tokens generated: the
    # replies shared decode steps instead of taking turns.
    generated = evaluated - sum(len(p) for p in prompts)
    assert generated > 4 * 5
    assert engine.steps - steps < generated


@engines
def test_a_second_turn_evaluates_only_what_is_new(llama_brain: Any) -> None:
    engine: BatchEngine = llama_brain.engine
    first = _prompt(llama_brain, "Do you sell running shoes?")
    reply = _say(llama_brain, engine, first, key="turns")
    history = [Message("user", "Do you sell running shoes?"), Message("agent", reply)]
    second = _prompt(llama_brain, "Can I pay with a credit card?", history)
    before = engine.step_tokens
    _say(llama_brain, engine, second, key="turns")
    evaluated = engine.step_tokens - before
    assert common_prefix(first, second) > 50  # the system prompt at least
    # Only the new part of the prompt (plus the reply's tokens) was evaluated.
    assert evaluated < len(second) - common_prefix(first, second) + 60


@engines
def test_more_sessions_than_slots_and_a_full_cache_still_answer(llama_brain: Any) -> None:
    # A small context of its own on the shared model: two slots, 256 cells, and prompts
    # of ~125 tokens: a second conversation only fits once the idle first one is dropped.
    engine = BatchEngine(llama_brain.engine.model, slots=2, n_ctx=256, n_batch=128)
    more = " I ask because my family and I plan a visit next week to buy shoes for all of us."
    try:
        for i, question in enumerate(QUESTIONS[:3]):  # three sessions, two slots
            prompt = _prompt(llama_brain, question + more)
            assert _say(llama_brain, engine, prompt, key=f"s{i}")
        # Each new conversation found the cache full and dropped the idle one before it.
        assert [slot.key for slot in engine._slots if slot.tokens] == ["s2"]
    finally:
        engine.close()


@engines
def test_a_prompt_longer_than_the_context_is_refused(llama_brain: Any) -> None:
    engine: BatchEngine = llama_brain.engine
    with pytest.raises(GenerationError, match="does not fit"):
        next(engine.generate([1] * engine.n_ctx, key="long"))
    # The engine is unharmed.
    assert _say(llama_brain, engine, _prompt(llama_brain, QUESTIONS[0]), key="after-long")


@engines
def test_closing_a_stream_frees_its_slot_for_the_next_request(llama_brain: Any) -> None:
    engine = BatchEngine(llama_brain.engine.model, slots=1, n_ctx=1024, n_batch=128)
    try:
        stream = engine.generate(_prompt(llama_brain, "Tell me a long story."), key="a")
        assert next(stream)
        stream.close()
        # One slot only: the next session gets it once the cancelled reply ends.
        assert _say(llama_brain, engine, _prompt(llama_brain, QUESTIONS[1]), key="b")
    finally:
        engine.close()


@engines
def test_a_closed_engine_refuses_new_requests(llama_brain: Any) -> None:
    engine = BatchEngine(llama_brain.engine.model, slots=1, n_ctx=512, n_batch=64)
    engine.close()
    with pytest.raises(GenerationError, match="closed"):
        next(engine.generate([1, 2, 3]))


@engines
def test_warming_a_session_leaves_only_the_user_turn_for_its_first_reply(llama_brain: Any) -> None:
    engine: BatchEngine = llama_brain.engine
    head = llama_brain.prompt_tokens(
        chat_messages(system_prompt=SHOP, history=[], tools=[], language="en"), reply=False
    )
    first = _prompt(llama_brain, QUESTIONS[2])
    assert first[: len(head)] == head  # the warmed head is exactly the start of the turn
    llama_brain.prepare(system_prompt=SHOP, tools=[], language="en", session="warm")
    deadline = time.monotonic() + 60
    while not any(s.key == "warm" and len(s.tokens) == len(head) for s in engine._slots):
        assert time.monotonic() < deadline, "the system prompt was never evaluated"
        time.sleep(0.05)
    before = engine.step_tokens
    _say(llama_brain, engine, first, key="warm")
    assert engine.step_tokens - before < len(first) - len(head) + 60
