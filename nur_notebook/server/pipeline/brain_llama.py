"""The local brain: Qwen2.5-Coder-1.5B-Instruct (GGUF) on llama-cpp-python.

One model per server, shared by every session behind a lock (one generation at a
time: two on a 2-core CPU only slow each other down). Each reply is constrained by a
grammar compiled from :func:`decision_schema`, so the model can only say something or
call one of the agent's tools with schema-valid arguments. The system message comes
first and is the same on every turn of a session, so llama.cpp reuses the evaluated
prefix of the previous turn. ``state_cache_bytes`` turns on llama-cpp-python's RAM
cache of model states (for sessions that take turns on the shared model); it is off
by default because each saved state copies the logits rows as well (~150 MB at
``n_batch=256``), so a cache that keeps several sessions costs more memory than the
3 GB server budget allows.

    >>> brain = LlamaBrain.load()  # doctest: +SKIP
    >>> for event in brain.respond(system_prompt="Be brief.", history=[...], tools=[],
    ...                            language="en"):  # doctest: +SKIP
    ...     print(event)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import Brain, BrainEvent, Message, ToolSpec
from nur_notebook.server.pipeline.decision import (
    chat_messages,
    decision_schema,
    stream_decision,
)

#: Replies are spoken: a cap keeps a runaway generation from holding the model.
MAX_REPLY_TOKENS = 200


class LlamaBrain(Brain):
    """Decisions from a local GGUF model through llama-cpp-python."""

    name = "llama-cpp"

    def __init__(self, llm: Any, *, model_name: str, max_tokens: int = MAX_REPLY_TOKENS) -> None:
        self._llm = llm
        self._lock = threading.Lock()
        self._grammars: dict[str, Any] = {}
        self._max_tokens = max_tokens
        self.model_name = model_name

    @classmethod
    def load(
        cls,
        *,
        model_path: Path | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        state_cache_bytes: int = 0,
    ) -> LlamaBrain:
        """Load the packaged GGUF (verified by SHA-256) once."""
        weights.passive_threads()
        from llama_cpp.llama import Llama
        from llama_cpp.llama_cache import LlamaRAMCache

        path = model_path or weights.llm_gguf()
        llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            # The Python side keeps n_batch rows of logits (151k floats each): 256 rows
            # keep that, and every saved prefix state, at ~150 MB without slowing prefill.
            n_batch=256,
            verbose=False,
        )
        if state_cache_bytes > 0:
            llm.set_cache(LlamaRAMCache(capacity_bytes=state_cache_bytes))
        return cls(llm, model_name=path.name)

    @property
    def description(self) -> str:
        """The model, for status endpoints."""
        return f"llama-cpp {self.model_name}"

    def _grammar(self, tools: list[ToolSpec]) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        key = json.dumps(decision_schema(tools))  # key order matters: it is the output order
        grammar = self._grammars.get(key)
        if grammar is None:
            grammar = LlamaGrammar.from_json_schema(key, verbose=False)
            if len(self._grammars) > 64:  # many agents: keep the table bounded
                self._grammars.clear()
            self._grammars[key] = grammar
        return grammar

    def respond(
        self,
        *,
        system_prompt: str,
        history: list[Message],
        tools: list[ToolSpec],
        language: str,
    ) -> Iterator[BrainEvent]:
        messages = chat_messages(
            system_prompt=system_prompt, history=history, tools=tools, language=language
        )
        grammar = self._grammar(tools)
        with self._lock:
            chunks = self._llm.create_chat_completion(
                messages=messages,
                grammar=grammar,
                stream=True,
                temperature=0.0,  # greedy: the decision is the model's most likely one
                max_tokens=self._max_tokens,
            )
            try:
                yield from stream_decision(_contents(chunks), tools)
            finally:
                chunks.close()  # a closed consumer (barge-in) stops the generation here


def _contents(chunks: Iterator[dict[str, Any]]) -> Iterator[str]:
    for chunk in chunks:
        delta = chunk["choices"][0].get("delta", {})
        content = delta.get("content")
        if content:
            yield str(content)
