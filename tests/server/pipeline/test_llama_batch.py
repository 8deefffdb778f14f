from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from nur_notebook.server.pipeline.base import (
    BrainRequest,
    Message,
    SayDelta,
    ToolCallDecision,
    ToolSpec,
)
from nur_notebook.server.pipeline.decision import envelope_jump, parse_decision
from nur_notebook.server.pipeline.llama_batch import BatchEngine, GenerationError
from nur_notebook.server.pipeline.llama_slots import common_prefix
from nur_notebook.server.pipeline.prompts import chat_messages

SHOP = "You are a friendly assistant for a shoe shop. Answer in one short sentence."
QUESTIONS = (
    "Hello, what are your opening hours?",
    "How long does delivery take?",
    "Do you have a store in Berlin?",
    "Is there a discount for students?",
)


engines = pytest.mark.engines


def _prompt(brain: Any, question: str, history: list[Message] | None = None) -> list[int]:
    messages = chat_messages(
        BrainRequest(SHOP, [], "en", [*(history or []), Message("user", question)])
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
    steps, generated = engine.steps, engine.generated

    def ask(i: int) -> None:
        replies[i] = _say(llama_brain, engine, prompts[i], key=f"batch-{i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(replies) == [0, 1, 2, 3]
    # Four replies of several tokens each, in fewer steps than tokens generated: the
    # replies shared decode steps instead of taking turns.
    generated = engine.generated - generated
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
    # of ~125 tokens: a second conversation only fits once the idle first one is dropped
    # (no sharing: sessions copying each other's first tokens would share their cells).
    engine = BatchEngine(llama_brain.engine.model, slots=2, n_ctx=256, n_batch=128, prefix_cells=0)
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
    from nur_notebook.server.pipeline.brain_llama import LlamaBrain

    engine: BatchEngine = llama_brain.engine
    # The prompts below are in the JSON envelope: warm with a brain that writes it.
    llama_brain = LlamaBrain(engine, model_name=llama_brain.model_name, reply_format="json")
    system = llama_brain.prompt_tokens(chat_messages(BrainRequest(SHOP, [], "en")), reply=False)
    head = llama_brain.head_tokens(BrainRequest(SHOP, [], "en"))
    first = _prompt(llama_brain, QUESTIONS[2])
    assert first[: len(head)] == head  # the warmed head is exactly the start of the turn
    assert len(head) > len(system)  # up to the user's words, their turn opened
    llama_brain.prepare(BrainRequest(SHOP, tools=[], language="en", session="warm"))
    deadline = time.monotonic() + 60
    while not any(s.key == "warm" and len(s.tokens) == len(head) for s in engine._slots):
        assert time.monotonic() < deadline, "the system prompt was never evaluated"
        time.sleep(0.05)
    before = engine.step_tokens
    _say(llama_brain, engine, first, key="warm")
    assert engine.step_tokens - before < len(first) - len(head) + 60


# --- shared agent prefixes ----------------------------------------------------------

TOOLS = [
    ToolSpec(
        "lookup_order",
        "Look up the status of an order by its number",
        {"order_id": {"type": "string", "required": True, "description": "The order number"}},
    ),
    ToolSpec(
        "store_hours",
        "Opening hours of a store",
        {"city": {"type": "string", "required": True}},
    ),
    ToolSpec(
        "book_fitting",
        "Book a shoe fitting",
        {"day": {"type": "string", "required": True}, "people": {"type": "integer"}},
    ),
]


def _head(brain: Any, system_prompt: str = SHOP, tools: list[ToolSpec] | None = None) -> list[int]:
    messages = chat_messages(BrainRequest(system_prompt, tools or [], "en"))
    tokens: list[int] = brain.prompt_tokens(messages, reply=False)
    return tokens


def _turn(
    brain: Any, question: str, system_prompt: str = SHOP, tools: list[ToolSpec] | None = None
) -> list[int]:
    request = BrainRequest(system_prompt, tools or [], "en", [Message("user", question)])
    messages = chat_messages(request)
    tokens: list[int] = brain.prompt_tokens(messages)
    return tokens


def _warm(engine: BatchEngine, prompt: list[int], key: str) -> int:
    """Warm ``key`` with ``prompt``; the tokens that took evaluating."""
    before = engine.step_tokens
    done = engine.warm(prompt, key=key)
    assert done is not None
    assert done.wait(120), "the warm-up never finished"
    return engine.step_tokens - before


@engines
def test_a_second_session_of_an_agent_version_evaluates_only_its_own_turn(
    llama_brain: Any,
) -> None:
    engine = BatchEngine(llama_brain.engine.model, slots=2, n_ctx=2048, n_batch=128)
    head = _head(llama_brain, tools=TOOLS)
    try:
        assert _warm(engine, head, "first") == len(head)  # evaluated once, into a prefix
        assert _warm(engine, head, "second") == 0  # copied, not evaluated
        prompt = llama_brain.prompt_tokens(
            chat_messages(BrainRequest(SHOP, TOOLS, "en", [Message("user", QUESTIONS[0])]))
        )
        before = engine.step_tokens
        text = "".join(engine.generate(prompt, key="second", grammar=llama_brain._grammar(TOOLS)))
        assert parse_decision(text, TOOLS)
        evaluated = engine.step_tokens - before
        generated = len(llama_brain.engine.model.tokenize(text.encode(), False, False))
        # Only the user's turn and the reply: not one token of the system prompt.
        assert evaluated <= len(prompt) - len(head) + generated + 2
        # Another agent version evaluates only what it does not share with the first.
        other = _head(llama_brain, "You are a pirate. Speak like one.", tools=TOOLS)
        assert _warm(engine, other, "third") == len(other) - common_prefix(head, other)
    finally:
        engine.close()


@engines
def test_the_least_recently_used_prefix_goes_first_under_a_small_budget(
    llama_brain: Any,
) -> None:
    # Three versions of one agent: a long common start, then the prompts differ.
    common = SHOP + " We sell running shoes, hiking boots and sandals for the whole family,"
    heads = [_head(llama_brain, f"{common} in the shop on {n} street.") for n in "ABC"]
    budget = len(heads[0]) + len(heads[1]) + 5  # room for two prefixes, not three
    engine = BatchEngine(
        llama_brain.engine.model, slots=2, n_ctx=2048, n_batch=128, prefix_cells=budget
    )
    try:
        _warm(engine, heads[0], "a")
        _warm(engine, heads[1], "b")
        assert _warm(engine, heads[0], "c") == 0  # used again: now the more recent one
        _warm(engine, heads[2], "d")  # over the budget: the prefix of shop two goes
        kept = [entry.tokens for entry in engine.prefixes.entries]
        assert heads[1] not in kept
        assert heads[0] in kept
        assert heads[2] in kept
        assert engine.prefixes.cells <= budget
        # Only what differs from a kept prefix was evaluated for shop two again.
        assert 0 < _warm(engine, heads[1], "e") < len(heads[1])
    finally:
        engine.close()


@engines
def test_a_reply_is_the_same_with_and_without_a_shared_prefix(llama_brain: Any) -> None:
    model = llama_brain.engine.model
    shared = BatchEngine(model, slots=2, n_ctx=2048, n_batch=128)
    alone = BatchEngine(model, slots=2, n_ctx=2048, n_batch=128, prefix_cells=0)
    head = _head(llama_brain)
    grammar = llama_brain._grammar([])
    try:
        _warm(shared, head, "earlier")  # the prefix an earlier session left behind
        for question in QUESTIONS[:2]:
            key = f"s-{question}"
            assert _warm(shared, head, key) == 0  # copied from the shared prefix
            assert _warm(alone, head, key) == len(head)  # evaluated for this session alone
            prompt = _turn(llama_brain, question)
            with_prefix = "".join(shared.generate(prompt, key=key, grammar=grammar))
            without = "".join(alone.generate(prompt, key=key, grammar=grammar))
            assert with_prefix == without
            assert parse_decision(with_prefix, [])
        assert not alone.prefixes.entries
    finally:
        shared.close()
        alone.close()


def _words(text: str) -> set[str]:
    return {w.strip(".,!?;:\"'").lower() for w in text.split()} - {""}


def _same_answer(a: str, b: str) -> bool:
    """Whether two replies to one prompt say the same thing. Greedy decoding of the same
    cells evaluated in steps of other sizes may word it differently: a step of one token
    and a step of many round their sums differently, and a near tie can flip ("Delivery
    takes 5-7 days." against "The delivery takes 5-7 days", seen on one CPU). Cells of
    the wrong prompt would give another answer altogether."""
    words_a, words_b = _words(a), _words(b)
    return bool(words_a) and len(words_a & words_b) >= 0.6 * len(words_a | words_b)


def _evaluated_for(engine: BatchEngine, prompt: list[int], key: str | None) -> tuple[int, str]:
    """Generate a short reply to ``prompt``; (prompt tokens evaluated for it, the reply)."""
    steps, generated = engine.step_tokens, engine.generated
    text = "".join(engine.generate(prompt, key=key, max_tokens=8))
    # Each reply token goes into the next step, but the eighth (the last) never does.
    n = engine.generated - generated
    return engine.step_tokens - steps - (n - 1 if n == 8 else n), text


@engines
def test_a_request_starts_from_another_sessions_cache(llama_brain: Any) -> None:
    engine = BatchEngine(llama_brain.engine.model, slots=3, n_ctx=2048, n_batch=128)
    tools = [TOOLS[0]]
    first, again = (_turn(llama_brain, q, tools=tools) for q in QUESTIONS[:2])
    pirate = _turn(llama_brain, QUESTIONS[1], "You are a pirate. Speak like one.", tools)
    try:
        assert _evaluated_for(engine, first, "a")[0] == len(first)  # nothing to start from
        # A new session of the same agent evaluates only what follows the start that
        # session "a" holds, and a request of no session only the last token (for its
        # logits): both from the other sessions' cells, with the same reply.
        evaluated, reply = _evaluated_for(engine, again, "b")
        assert evaluated == len(again) - common_prefix(first, again)
        evaluated, alone = _evaluated_for(engine, again, None)
        assert evaluated == 1
        assert _same_answer(alone, reply), (alone, reply)
        # Another agent with tools: the instructions and tool block come from those cells.
        evaluated = _evaluated_for(engine, pirate, "c")[0]
        assert evaluated == len(pirate) - common_prefix(first, pirate) < len(pirate) / 2
    finally:
        engine.close()


@engines
@pytest.mark.parametrize("reply_format", ["json", "native"])
def test_a_new_agent_version_evaluates_only_its_own_prompt(
    llama_brain: Any, reply_format: str
) -> None:
    from nur_notebook.server.pipeline.brain_llama import LlamaBrain

    brain = LlamaBrain(llama_brain.engine, model_name="m", reply_format=reply_format)  # type: ignore[arg-type]
    engine = BatchEngine(llama_brain.engine.model, slots=2, n_ctx=2048, n_batch=128)
    old, new = SHOP, SHOP + " Greet new customers warmly and mention the winter sale."
    heads = [brain.head_tokens(BrainRequest(p, TOOLS, "en")) for p in (old, new)]
    prompt_alone = len(engine.model.tokenize(new.encode(), False, False))
    try:
        assert _warm(engine, heads[0], "v1") == len(heads[0])
        evaluated = _warm(engine, heads[1], "v2")
        # The instructions and the tool block come from the first version's cells.
        assert 0 < evaluated <= prompt_alone + 4, (evaluated, len(heads[1]))
        assert evaluated < len(heads[1]) / 4
    finally:
        engine.close()


# --- the envelope's fixed parts in one step -----------------------------------------


@engines
def test_the_envelope_jump_gives_the_same_decisions_in_fewer_steps(llama_brain: Any) -> None:
    engine: BatchEngine = llama_brain.engine
    tools = TOOLS[:2]
    grammar = llama_brain._grammar(tools)
    # Neither is a near tie. A store question beside store_hours is one: "Do you have a
    # store in Berlin?" was a call with the jump in one full run under load and a spoken
    # answer in others; the same logits summed in another order can tip a near tie.
    for question in ("Where is my order 5581?", "Thanks, that is all for today."):
        messages = chat_messages(BrainRequest(SHOP, tools, "en", [Message("user", question)]))
        prompt = llama_brain.prompt_tokens(messages)
        seen: dict[str, tuple[object, int, int]] = {}
        ways: list[tuple[str, Any]] = [
            ("plain", None),
            ("jump", lambda reply: envelope_jump(reply, tools)),
        ]
        if "Thanks" in question:  # a jump the grammar refuses is not taken (a say reply)
            ways.append(("refused", lambda reply: "" if reply else "["))
        for name, jump in ways:
            key = "jump"  # one slot: each way starts from the same evaluated prompt
            done = engine.warm(prompt[:-1], key=key, share=False)
            assert done is not None
            assert done.wait(120)
            steps = engine.steps
            text = "".join(
                engine.generate(prompt, key=key, grammar=grammar, max_tokens=40, jump=jump)
            )
            seen[name] = (parse_decision(text, tools), engine.steps - steps, len(text))
        assert seen["jump"][0] == seen["plain"][0], seen
        if "refused" in seen:
            assert seen["refused"][:2] == seen["plain"][:2]
        # {" before the first step, ": " after the key, } after a say; a call's
        # ", "arguments": {"order_id": "
        # too.
        saved = 10 if isinstance(seen["plain"][0], ToolCallDecision) else 4
        assert seen["jump"][1] <= seen["plain"][1] - saved, seen


# --- the next turn's opening, evaluated while the reply is heard --------------------


def _slot_settled(engine: BatchEngine, key: str) -> list[int]:
    """The tokens ``key``'s slot holds once nothing of it is being evaluated."""
    deadline = time.monotonic() + 60
    while True:
        slot = next((s for s in engine._slots if s.key == key), None)
        if slot is not None and not slot.busy and not engine._waiting:
            return list(slot.tokens)
        assert time.monotonic() < deadline, "the slot never settled"
        time.sleep(0.05)


@engines
@pytest.mark.parametrize("warm", [True, False])
def test_after_a_reply_the_next_turn_evaluates_only_the_users_words(
    llama_brain: Any, warm: bool
) -> None:
    from nur_notebook.server.pipeline.brain_llama import LlamaBrain

    engine: BatchEngine = llama_brain.engine
    brain = LlamaBrain(
        engine, model_name=llama_brain.model_name, reply_format="json", warm_next_turn=warm
    )
    key = f"next-turn-{warm}"
    history = [Message("user", QUESTIONS[1])]
    reply = "".join(
        e.text
        for e in brain.respond(BrainRequest(SHOP, [], "en", history, session=key))
        if isinstance(e, SayDelta)
    )
    brain.prepare_next_turn(key)  # the session calls it once the reply is synthesized
    held = _slot_settled(engine, key)
    question = "And what about express delivery to Munich?"
    history += [Message("agent", reply), Message("user", question)]
    second = brain.prompt_tokens(brain._chat(BrainRequest(SHOP, [], "en", history, session=key)))
    words = len(engine.model.tokenize(question.encode(), add_bos=False, special=False))
    left = len(second) - common_prefix(held, second)
    # Left to evaluate: the user's words and the few tokens that open the reply
    # (<|im_end|>, a newline, <|im_start|>assistant, a newline), not the user's opening too.
    if warm:
        assert left <= words + 5, (left, words)
    else:
        assert left >= words + 8, (left, words)


# --- the user's words so far, evaluated while they go on speaking --------------------


@engines
def test_words_heard_so_far_leave_only_the_rest_of_the_turn(llama_brain: Any) -> None:
    key = "listen-ahead"
    history = [Message("user", QUESTIONS[1]), Message("agent", "It takes two to three days.")]
    request = BrainRequest(SHOP, [], "en", history, session=key)
    question = "And what about express delivery to Munich next week?"
    final = llama_brain.prompt_tokens(
        llama_brain._chat(BrainRequest(SHOP, [], "en", [*history, Message("user", question)]))
    )
    llama_brain.listen_ahead(request, "And what about express delivery")
    held = _slot_settled(llama_brain.engine, key)
    left = len(final) - common_prefix(held, final)
    rest = " to Munich next week?"
    tokenize = llama_brain.engine.model.tokenize
    rest_tokens = len(tokenize(rest.encode(), add_bos=False, special=False))
    # Left: the words not yet heard and the reply's opening (<|im_end|>, a newline,
    # <|im_start|>assistant, a newline), not the conversation or the words heard.
    assert rest_tokens <= left <= rest_tokens + 5, (left, rest_tokens)

    # What the final words change from the heard ones is evaluated again: the reply says
    # what a session that heard nothing ahead says.
    turn = [*history, Message("user", question)]
    llama_brain.listen_ahead(request, "And what about the express")
    replies = [
        "".join(
            e.text if isinstance(e, SayDelta) else repr(e)
            for e in llama_brain.respond(BrainRequest(SHOP, [], "en", turn, session=name))
        )
        for name in (key, "heard-nothing-ahead")
    ]
    assert _same_answer(*replies), replies
