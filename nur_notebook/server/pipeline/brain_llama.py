"""The local brain: Qwen2.5-Coder-1.5B-Instruct (GGUF) on llama-cpp-python.

One model per server, shared by every session through a :class:`BatchEngine`: replies of
concurrent sessions decode together in one batch, and each session keeps its own
sequence in the KV cache, so a turn evaluates only what is new since its last one (the
system prompt and earlier turns stay cached even while other sessions talk). The prompt
is the chat rendered with the GGUF's own chat template; its system message lists what
every agent shares first (instructions, the tools, the date) and the agent's own prompt
last, so a new version of an agent evaluates only its prompt. The model answers in the
``{"say"}``/``{"tool"}`` JSON envelope of ``decision.py``
(``reply_format="json"``, the default). ``reply_format="native"`` uses the model's own
tool-call format instead (see ``tool_calls.py``): plain speech, or one call, bare or in
``<tool_call>`` tags. Each reply is constrained by a grammar, so the model can only speak
or call one of the agent's tools with schema-valid arguments. The native format decided
better on part of the decision bench but answered "I'll look it up" instead of calling
the tool for a spoken order question that the envelope gets right, so it stays opt-in
(measured on bench/tool_decisions.py: see docs/engines.md).

    >>> brain = LlamaBrain.load()  # doctest: +SKIP
    >>> request = BrainRequest("Be brief.", tools=[], language="en", history=[...])
    >>> for event in brain.respond(request):  # doctest: +SKIP
    ...     print(event)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import (
    Brain,
    BrainEvent,
    BrainRequest,
    Message,
    ToolCallDecision,
    ToolSpec,
)
from nur_notebook.server.pipeline.dates import with_said_dates
from nur_notebook.server.pipeline.decision import decision_schema, envelope_jump, stream_decision
from nur_notebook.server.pipeline.grounding import repeats_a_call, without_unsaid_options
from nur_notebook.server.pipeline.llama_batch import BatchEngine
from nur_notebook.server.pipeline.llama_slots import DEFAULT_PREFIX_CELLS, common_prefix
from nur_notebook.server.pipeline.prompts import chat_messages, native_chat
from nur_notebook.server.pipeline.switches import with_said_switch
from nur_notebook.server.pipeline.tool_calls import (
    REPLY_ROOT,
    call_schema,
    native_grammar_rules,
    stream_native,
)

#: Replies are spoken: a cap keeps a runaway generation from holding the model.
MAX_REPLY_TOKENS = 200

ReplyFormat = Literal["native", "json"]


class LlamaBrain(Brain):
    """Decisions from a local GGUF model, batched across sessions."""

    name = "llama-cpp"
    reads_ahead = True  # its sessions keep their prompts in the KV cache

    def __init__(
        self,
        engine: BatchEngine,
        *,
        model_name: str,
        max_tokens: int = MAX_REPLY_TOKENS,
        reply_format: ReplyFormat = "json",
        jump: bool = True,
        warm_next_turn: bool = True,
    ) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self._engine = engine
        model = engine.model
        metadata = model.metadata()
        template = metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{model_name} has no chat template")
        eos, bos = _token_text(model, model.token_eos()), _token_text(model, model.token_bos())
        self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        self._format_head = Jinja2ChatFormatter(
            template=template, eos_token=eos, bos_token=bos, add_generation_prompt=False
        )
        self._grammars: dict[str, tuple[str, str]] = {}
        self._native_grammars: dict[str, tuple[str, str]] = {}
        self._max_tokens = max_tokens
        self.model_name = model_name
        self.reply_format = reply_format
        #: The envelope's fixed parts are evaluated with the token before them, not one
        #: decode step a token (``decision.envelope_jump``; the ``jump-forward`` feature).
        self.jump = jump
        #: Once a reply is synthesized, the next turn's opening (up to the user's words) is
        #: evaluated while the user listens (the ``next-turn`` feature).
        self.warm_next_turn = warm_next_turn
        self._next_turns: dict[str, tuple[BrainRequest, str]] = {}  # session -> its last reply
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        *,
        model_path: Path | None = None,
        n_ctx: int = 8192,
        n_threads: int = 2,
        slots: int = 4,
        prefix_cells: int = DEFAULT_PREFIX_CELLS,
        reply_format: ReplyFormat = "json",
        jump: bool = True,
        warm_next_turn: bool = True,
    ) -> LlamaBrain:
        """Load the packaged GGUF (verified by SHA-256) once.

        ``n_ctx`` tokens of KV cache are shared by ``slots`` conversations (each may use
        all of it); the least recently used idle conversation gives its cache up first.
        Sessions of one agent version share its evaluated prompt: ``prefix_cells`` of the
        cache (0: no sharing).
        """
        weights.passive_threads()
        path = model_path or weights.llm_gguf()
        engine = BatchEngine.load(
            str(path), slots=slots, n_ctx=n_ctx, n_threads=n_threads, prefix_cells=prefix_cells
        )
        return cls(
            engine,
            model_name=path.name,
            reply_format=reply_format,
            jump=jump,
            warm_next_turn=warm_next_turn,
        )

    @property
    def description(self) -> str:
        """The model, for status endpoints."""
        return f"llama-cpp {self.model_name}"

    @property
    def engine(self) -> BatchEngine:
        return self._engine

    def close(self) -> None:
        self._engine.close()

    def _native_grammar(self, tools: list[ToolSpec]) -> tuple[str, str]:
        """Speech, or one call in ``<tool_call>`` tags (see tool_calls.py)."""
        from llama_cpp.llama_grammar import LlamaGrammar

        key = json.dumps(call_schema(tools)) if tools else ""
        grammar = self._native_grammars.get(key)
        if grammar is None:
            call = LlamaGrammar.from_json_schema(key, verbose=False)._grammar if tools else None
            grammar = (native_grammar_rules(call), REPLY_ROOT)
            if len(self._native_grammars) > 64:  # many agents: keep the table bounded
                self._native_grammars.clear()
            self._native_grammars[key] = grammar
        return grammar

    def _grammar(self, tools: list[ToolSpec]) -> tuple[str, str]:
        """The JSON envelope's grammar (``reply_format="json"``)."""
        from llama_cpp.llama_grammar import LlamaGrammar

        key = json.dumps(decision_schema(tools))  # key order matters: it is the output order
        grammar = self._grammars.get(key)
        if grammar is None:
            compiled = LlamaGrammar.from_json_schema(key, verbose=False)
            grammar = (compiled._grammar, compiled._root)
            if len(self._grammars) > 64:  # many agents: keep the table bounded
                self._grammars.clear()
            self._grammars[key] = grammar
        return grammar

    def prompt_tokens(
        self,
        messages: list[dict[str, Any]],
        *,
        reply: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> list[int]:
        """The chat rendered by the model's template, as tokens (``reply``: ending where
        the assistant's reply begins; ``tools``: function definitions the template lists)."""
        formatter = self._format if reply else self._format_head
        rendered = formatter(messages=messages, tools=tools or None)  # type: ignore[arg-type]
        tokens: list[int] = self._engine.model.tokenize(
            rendered.prompt.encode(), add_bos=not rendered.added_special, special=True
        )
        return tokens

    def _chat(self, request: BrainRequest) -> list[dict[str, Any]]:
        """The request's chat in the reply format's own shape; the tools are in its system
        message (before the agent's prompt), not appended by the template after it."""
        build = chat_messages if self.reply_format == "json" else native_chat
        return build(request)

    def head_tokens(self, request: BrainRequest) -> list[int]:
        """The fixed start of every prompt of an agent: its system message and tools, up to
        where the user's first words go (the request's history is not read)."""
        return self.opening_tokens(replace(request, history=[]))

    def opening_tokens(self, request: BrainRequest) -> list[int]:
        """The prompt of the request's conversation up to where the user's next words go
        (the user's turn opened: ``<|im_start|>user`` and its newline for Qwen)."""
        return self._before_user_words(request, "Yes", "No")

    def _before_user_words(self, request: BrainRequest, said: str, other: str) -> list[int]:
        """The prompt with the user's next message ``said`` or ``other``, as far as the
        two agree: up to where they differ, before the message's end."""
        ahead = [
            self.prompt_tokens(
                self._chat(replace(request, history=[*request.history, Message("user", words)])),
                reply=False,
            )
            for words in (said, other)
        ]
        return ahead[0][: common_prefix(*ahead)]

    def prepare(self, request: BrainRequest) -> None:
        """Evaluate the session's system message (to the user's first words) now, so its
        first reply starts sooner."""
        if request.session is None:  # nothing to keep it for
            return
        self._engine.warm(self.head_tokens(request), key=request.session)

    @property
    def busy(self) -> bool:
        return self._engine.busy

    def listen_ahead(self, request: BrainRequest, heard: str) -> None:
        """Evaluate the conversation and the user's words so far into the session's cache
        while they go on speaking: the turn's prompt starts with them, so its reply
        evaluates only the rest (what differs from ``heard`` is evaluated again)."""
        if request.session is None or not heard.strip():
            return
        ahead = self._before_user_words(request, f"{heard} yes", f"{heard} no")
        self._engine.warm(ahead, key=request.session, share=False)

    def respond(self, request: BrainRequest) -> Iterator[BrainEvent]:
        tools, history = request.tools, request.history
        messages = self._chat(request)
        callable_tools = tools if request.allow_tools else []
        native = self.reply_format == "native"
        pieces = self._engine.generate(
            self.prompt_tokens(messages),
            key=request.session,
            grammar=self._native_grammar(callable_tools)
            if native
            else self._grammar(callable_tools),
            max_tokens=self._max_tokens,
            jump=(lambda reply: envelope_jump(reply, callable_tools))
            if self.jump and not native
            else None,
        )
        try:
            events = (
                stream_native(pieces, callable_tools)
                if native
                else stream_decision(pieces, callable_tools)
            )
            said: list[str] = []
            for event in events:
                if isinstance(event, ToolCallDecision):
                    event = without_unsaid_options(event, tools=tools, history=history)
                    event = with_said_dates(event, history=history)
                    event = with_said_switch(event, tools=tools, history=history)
                    if repeats_a_call(event, history):
                        break  # answered already: say what the result means instead
                else:
                    said.append(event.text)
                yield event
            else:
                if said and self.warm_next_turn and request.session is not None:
                    with self._lock:  # kept until the reply is synthesized (prepare_next_turn)
                        self._next_turns.pop(request.session, None)
                        self._next_turns[request.session] = (request, "".join(said))
                        while len(self._next_turns) > 64:
                            self._next_turns.pop(next(iter(self._next_turns)))
                return
        finally:
            pieces.close()  # a closed consumer (barge-in) stops the generation here
        yield from self.respond(replace(request, allow_tools=False))

    def prepare_next_turn(self, session: str) -> None:
        """Evaluate the conversation up to where the user's next message begins, now that
        the session's last reply is known, so its next turn evaluates only the user's words.

        The session calls this once the reply is synthesized: the step then no longer
        competes with the speech synthesis of its first audio."""
        with self._lock:
            pending = self._next_turns.pop(session, None)
        if pending is None:
            return
        request, said = pending
        history = [*request.history, Message("agent", said)]
        ahead = self.opening_tokens(replace(request, history=history))
        self._engine.warm(ahead, key=session, share=False)


def _token_text(model: Any, token: int) -> str:
    return str(model.token_get_text(token)) if token != -1 else ""
