"""Continuous batching on one llama.cpp context: every session's reply decodes in one step.

One model and one context serve the whole server. The context keeps up to ``slots``
llama.cpp sequences; each remembers the tokens it holds in the KV cache and the session
(``key``) that last used it. A request from that session evaluates only its prompt after
the longest common prefix, so the system prompt and earlier turns are not evaluated again,
and sessions that take turns no longer evict each other's prefix. Every active request
advances one token per ``llama_decode``, all together: on two cores a step of four
replies costs about twice a step of one, not four times (docs/engines.md). New prompts
are evaluated in chunks of ``prefill_chunk`` tokens inside the same steps, so a long
prompt delays the other replies' next token by one chunk, not by the whole prompt.

A warm-up (:meth:`BatchEngine.warm`) names a fixed prompt head, an agent version's system
prompt and tools: it is evaluated once into a shared prefix and copied into every new
session that starts with it (``llama_slots.PrefixCache``: at most ``prefix_cells`` KV
cells, 2048 by default, least recently used first out).

A scheduler thread owns the context, the slots and the active requests; callers only add
requests (under a lock) and read their queues: any thread may call ``generate``.

    >>> engine = BatchEngine.load(path, slots=4, n_ctx=8192)        # doctest: +SKIP
    >>> for piece in engine.generate(tokens, key="sess_1", grammar=(gbnf, "root")):
    ...     print(piece, end="")                                     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from nur_notebook.server.pipeline.llama_requests import (
    GrammarError,
    Pieces,
    Request,
    make_sampler,
    model_params,
    pick_token,
)
from nur_notebook.server.pipeline.llama_slots import (
    DEFAULT_PREFIX_CELLS,
    DEFAULT_PREFIXES,
    PrefixCache,
    Slot,
    choose_slot,
    common_prefix,
)

log = logging.getLogger(__name__)

_END = object()


class GenerationError(RuntimeError):
    """The engine could not run a request (prompt too long, context full, engine closed)."""


class BatchEngine:
    """Runs generation requests of many sessions on one llama.cpp context, batched."""

    def __init__(
        self,
        model: Any,
        *,
        slots: int = 4,
        n_ctx: int = 8192,
        n_threads: int = 2,
        n_batch: int = 256,
        prefill_chunk: int = 128,
        prefix_cells: int = DEFAULT_PREFIX_CELLS,
        prefixes: int = DEFAULT_PREFIXES,
    ) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._model = model  # llama_cpp._internals.LlamaModel (kept alive with the context)
        self._vocab = model.vocab
        self._n_vocab = int(llama_cpp.llama_vocab_n_tokens(model.vocab))
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        prefixes = prefixes if prefix_cells > 0 else 0
        params.n_seq_max = slots + prefixes
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        # One pool: a long conversation may use what others don't, and copying a shared
        # prefix into a session only tags its cells (no memory, no evaluation).
        params.kv_unified = True
        params.no_perf = True
        ctx = llama_cpp.llama_init_from_model(model.model, params)
        if ctx is None:
            raise GenerationError("llama.cpp could not create a context")
        self._ctx = ctx
        self._memory = llama_cpp.llama_get_memory(ctx)
        self.n_ctx = int(llama_cpp.llama_n_ctx(ctx))  # llama.cpp rounds it up
        self.n_batch = n_batch
        self.prefill_chunk = min(prefill_chunk, n_batch - slots)
        self._batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self._slots = [Slot(seq_id=i) for i in range(slots)]
        #: Shared prompt prefixes, on the sequences after the slots'.
        self.prefixes = PrefixCache(range(slots, slots + prefixes), budget_cells=prefix_cells)
        self._waiting: list[Request] = []
        self._active: list[Request] = []
        self._cond = threading.Condition()
        self._closed = False
        self._pieces = Pieces(llama_cpp, model)
        #: Decode steps run, the tokens they carried (batching shows as tokens > steps),
        #: and the reply tokens of all requests.
        self.steps = self.step_tokens = self.generated = 0
        self._thread = threading.Thread(target=self._run, name="llama-batch", daemon=True)
        self._thread.start()

    @classmethod
    def load(cls, path: str, **options: Any) -> BatchEngine:
        """Load the GGUF at ``path`` (CPU) and start the scheduler."""
        import llama_cpp
        from llama_cpp._internals import LlamaModel
        from llama_cpp._logger import set_verbose

        set_verbose(False)  # llama.cpp's own log: errors only
        model = LlamaModel(path_model=path, params=model_params(llama_cpp), verbose=False)
        return cls(model, **options)

    @property
    def model(self) -> Any:
        """The loaded ``LlamaModel`` (tokenizer, metadata)."""
        return self._model

    def generate(
        self,
        prompt: list[int],
        *,
        key: str | None = None,
        grammar: tuple[str, str] | None = None,
        max_tokens: int = 200,
        jump: Callable[[str], str] | None = None,
    ) -> Generator[str, None, None]:
        """Stream the greedy continuation of ``prompt`` as text pieces.

        ``key`` names the conversation, so its next prompt reuses this one's KV cache;
        ``grammar`` is ``(gbnf, root_rule)`` constraining every token. ``jump`` maps the
        reply so far to the text it writes next whatever is picked (``envelope_jump``):
        its tokens the grammar allows go into one step with the token before them.
        Closing the generator early cancels the request at the next step.
        """
        if not prompt:
            raise GenerationError("empty prompt")
        if len(prompt) + max_tokens > self.n_ctx:
            raise GenerationError(
                f"the conversation is {len(prompt)} tokens; with a {max_tokens}-token reply "
                f"it does not fit the model's {self.n_ctx}-token context"
            )
        try:
            sampler = make_sampler(self._lib, self._vocab, grammar)
        except GrammarError as exc:
            raise GenerationError(str(exc)) from exc
        bound = grammar is not None
        request = Request(
            prompt, key=key, sampler=sampler, max_tokens=max_tokens, constrained=bound, jump=jump
        )
        with self._cond:
            if self._closed:
                self._lib.llama_sampler_free(request.sampler)
                raise GenerationError("the language model is closed")
            self._waiting.append(request)
            self._cond.notify()
        try:
            while True:
                item = request.out.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, str)
                yield item
        finally:
            with self._cond:
                request.cancelled = True
                self._cond.notify()

    @property
    def busy(self) -> bool:
        """Whether a reply is being generated or waits (warm-ups don't count)."""
        return any(r.max_tokens > 0 for r in (*self._active, *self._waiting))

    def warm(self, prompt: list[int], *, key: str, share: bool = True) -> threading.Event | None:
        """Evaluate ``prompt`` into ``key``'s cache ahead of its request; returns at once.

        With ``share`` the prompt is a fixed head other sessions start with too (a system
        prompt and tools): it is evaluated once into a shared prefix (unless one holds it
        already) and copied into this session's sequence. Prompts that don't fit are
        ignored (None); the event returned is set once the prompt is in ``key``'s sequence.
        """
        if not prompt or len(prompt) >= self.n_ctx:
            return None
        request = Request(prompt, key=key, sampler=None, max_tokens=0, share=share)
        with self._cond:
            if self._closed:
                return None
            self._waiting.append(request)
            self._cond.notify()
        return request.done

    def close(self) -> None:
        """Stop the scheduler (pending requests end with an error) and free the context."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify()
        self._thread.join()
        self._lib.llama_batch_free(self._batch)
        self._lib.llama_free(self._ctx)

    # -- the scheduler thread ----------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._waiting and not self._active:
                    self._cond.wait()
                if self._closed:
                    for request in self._waiting + self._active:
                        self._finish(request, GenerationError("the language model closed"))
                    self._waiting.clear()
                    return
                self._retire()
                self._admit()
            try:
                self._step()
            except Exception as exc:  # a bug must not leave callers waiting forever
                log.exception("llama batch step failed")
                for request in list(self._active):
                    self._finish(request, GenerationError(f"generation failed: {exc}"))

    def _admit(self) -> None:
        """Give waiting requests a slot (under the lock); cancelled ones just end.

        A request starts from its slot's cache, or from the shared prefix or other
        session's cache that covers more of its prompt (copied in); while that prefix is
        still being evaluated the request waits for it rather than evaluate it again.
        """
        still: list[Request] = []
        for request in self._waiting:
            if request.cancelled:
                self._finish(request, None)
                continue
            if request.share and self.prefixes.enabled and not self.prefixes.find(request.prompt):
                self._build_prefix(request.prompt)
            slot = choose_slot(self._slots, request.key)
            if slot is None:
                still.append(request)
                continue
            # A reply needs the logits of the prompt's last token: evaluate at least that.
            needs = 1 if request.max_tokens > 0 else 0
            usable = len(request.prompt) - needs
            keep = min(common_prefix(slot.tokens, request.prompt), usable)
            others = [s for s in self._slots if s is not slot]
            source, start = self.prefixes.match(request.prompt, sessions=others)
            start = min(start, usable)
            if source is not None and start > keep and source.target is not None:
                still.append(request)  # a prefix being evaluated: its copy comes in a step
                continue
            if source is not None and source in self.prefixes.entries:
                source.last_used = time.monotonic()  # in use: the last to be evicted
            if source is not None and start > keep:
                self._copy(source, slot, start)
                keep = start
            elif not self._lib.llama_memory_seq_rm(self._memory, slot.seq_id, keep, -1):
                self._lib.llama_memory_seq_rm(self._memory, slot.seq_id, -1, -1)
                keep = 0
            del slot.tokens[keep:]
            slot.key = request.key
            slot.busy = True
            request.slot = slot
            request.pending = request.prompt[keep:]
            if request.max_tokens > 0:
                request.pending += self._pieces.jump(request)  # the reply's fixed opening
            self._active.append(request)
        self._waiting = still

    def _copy(self, source: Slot, target: Slot, length: int) -> None:
        """Make ``target`` hold the first ``length`` tokens of ``source`` (cells shared)."""
        lib = self._lib
        lib.llama_memory_seq_rm(self._memory, target.seq_id, -1, -1)
        lib.llama_memory_seq_cp(self._memory, source.seq_id, target.seq_id, 0, length)
        target.tokens = source.tokens[:length]

    def _build_prefix(self, prompt: list[int]) -> None:
        """Start evaluating ``prompt`` as a shared prefix, from the sequence (prefix or
        session) holding the longest start of it: only the rest is evaluated."""
        base, shared = self.prefixes.match(prompt, ready_only=True, sessions=self._slots)
        protect = base is not None and base in self.prefixes.entries
        if protect and base is not None:
            base.busy = True  # what the new prefix starts from is evicted last
        made = self.prefixes.add(prompt, now=time.monotonic())
        if protect and base is not None:
            base.busy = False  # (a ready prefix is never busy otherwise)
            if made is None:
                made = self.prefixes.add(prompt, now=time.monotonic())
        if made is None:
            return  # over the budget even alone: the session evaluates it itself
        entry, evicted = made
        for old in evicted:
            self._lib.llama_memory_seq_rm(self._memory, old.seq_id, -1, -1)
        if base is not None and (base in self._slots or base in self.prefixes.entries):
            self._copy(base, entry, shared)
        else:
            self._lib.llama_memory_seq_rm(self._memory, entry.seq_id, -1, -1)
        build = Request(prompt, key=None, sampler=None, max_tokens=0)
        build.slot = entry
        build.pending = prompt[len(entry.tokens) :]
        self._active.append(build)

    def _retire(self) -> None:
        """End cancelled requests and finished warm-ups, freeing their slots for _admit."""
        for request in [r for r in self._active if r.cancelled or r.warmed]:
            self._finish(request, None)

    def _step(self) -> None:
        entries: list[tuple[Request, int]] = []  # (request, tokens added this step)
        n = 0
        for request in self._active:  # the next token(s) of each reply being generated
            if request.next_tokens:
                tokens, request.next_tokens = request.next_tokens, []
                n = self._put(request, tokens, n, logits=True)
                entries.append((request, len(tokens)))
        for request in self._active:  # then prompt chunks, while the batch has room
            if not request.pending or n >= self.n_batch:
                continue
            take = min(len(request.pending), self.prefill_chunk, self.n_batch - n)
            chunk, request.pending = request.pending[:take], request.pending[take:]
            n = self._put(request, chunk, n, logits=not request.pending and request.max_tokens > 0)
            entries.append((request, take))
        if n == 0:
            return
        self._batch.n_tokens = n
        status = self._lib.llama_decode(self._ctx, self._batch)
        self.steps += 1
        self.step_tokens += n
        if status != 0:
            self._undo(entries)
            self._relieve(status, entries)
            return
        for request, _ in entries:
            if request.logit_index is not None:
                self._sample(request)

    def _put(self, request: Request, tokens: list[int], n: int, *, logits: bool) -> int:
        """Add ``tokens`` of ``request`` to the batch from row ``n`` (the last one's logits
        wanted if ``logits``); the next free row."""
        slot = request.slot
        assert slot is not None
        for i, token in enumerate(tokens):
            last = logits and i == len(tokens) - 1
            if last:
                request.logit_index = n + i
            self._add(n + i, token, len(slot.tokens), slot.seq_id, logits=last)
            slot.tokens.append(token)
        return n + len(tokens)

    def _add(self, i: int, token: int, pos: int, seq_id: int, *, logits: bool) -> None:
        batch = self._batch
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq_id
        batch.logits[i] = logits

    def _sample(self, request: Request) -> None:
        lib = self._lib
        index, request.logit_index = request.logit_index, None
        assert index is not None
        token = pick_token(
            lib,
            self._ctx,
            request.sampler,
            index,
            n_vocab=self._n_vocab,
            constrained=request.constrained,
        )
        if lib.llama_vocab_is_eog(self._vocab, token):
            self._finish(request, None)
            return
        self._pieces.emit(request, token)
        forced = self._pieces.jump(request)
        request.generated += 1 + len(forced)
        self.generated += 1 + len(forced)
        if request.generated >= request.max_tokens:
            self._finish(request, None)
            return
        request.next_tokens = [token, *forced]

    def _undo(self, entries: list[tuple[Request, int]]) -> None:
        """Forget the tokens of a failed step: back where they came from, out of the cache."""
        for request, added in entries:
            slot = request.slot
            assert slot is not None
            tokens = slot.tokens[len(slot.tokens) - added :]
            del slot.tokens[len(slot.tokens) - added :]
            self._lib.llama_memory_seq_rm(self._memory, slot.seq_id, len(slot.tokens), -1)
            request.logit_index = None
            if request.generated > 0:  # reply tokens (replies never mix with prompt chunks)
                request.next_tokens = tokens
            else:
                request.pending = tokens + request.pending

    def _relieve(self, status: int, entries: list[tuple[Request, int]]) -> None:
        """After a failed step: free cache from idle sessions, else fail the largest request."""
        idle = [s for s in self._slots if not s.busy and s.tokens]
        if status == 1 and idle:
            for slot in idle:
                self._lib.llama_memory_seq_rm(self._memory, slot.seq_id, -1, -1)
                slot.tokens.clear()
                slot.key = None
            log.info("KV cache full: dropped %d idle conversations' caches", len(idle))
            return
        shared = self.prefixes.idle()
        if status == 1 and shared:
            for prefix in shared:
                self._lib.llama_memory_seq_rm(self._memory, prefix.seq_id, -1, -1)
                self.prefixes.remove(prefix)
            log.info("KV cache full: dropped %d shared prompt prefixes", len(shared))
            return
        victim = max((r for r, _ in entries), key=lambda r: len(r.slot.tokens) if r.slot else 0)
        self._finish(
            victim,
            GenerationError(f"the language model's context is full (llama_decode {status})"),
        )

    def _finish(self, request: Request, error: BaseException | None) -> None:
        """End a request: free its slot and sampler, wake its reader."""
        if request in self._active:
            self._active.remove(request)
        slot = request.slot
        if slot is not None:
            slot.busy = False
            slot.last_used = time.monotonic()
            slot.target = None  # a prefix holds what was evaluated, even if cut short
            request.slot = None
        if request.sampler is not None:
            self._lib.llama_sampler_free(request.sampler)
            request.sampler = None
        request.out.put(error if error is not None else _END)
        request.done.set()
