"""One request of the batch engine and how its next token is picked.

A :class:`Request` carries its prompt, the part still to evaluate, its sequence and its
sampler; the sampling helpers are thin wrappers over llama.cpp's sampler API (``lib`` is
the ``llama_cpp`` module), kept apart from the scheduler so it reads as scheduling only.
"""

from __future__ import annotations

import codecs
import ctypes
import logging
import math
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from nur_notebook.server.pipeline.llama_slots import Slot

log = logging.getLogger(__name__)


class GrammarError(ValueError):
    """llama.cpp rejected a grammar."""


class Request:
    """One generation (or warm-up: ``max_tokens`` 0) and where it stands."""

    def __init__(
        self,
        prompt: list[int],
        *,
        key: str | None,
        sampler: Any,
        max_tokens: int,
        constrained: bool = False,
        share: bool = False,
        jump: Callable[[str], str] | None = None,
    ):
        self.prompt = prompt
        self.share = share  # a fixed prompt head other sessions start with too
        self.key = key
        self.sampler = sampler
        self.max_tokens = max_tokens
        self.out: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.done = threading.Event()
        self.cancelled = False
        self.slot: Slot | None = None
        self.pending: list[int] = []
        #: The reply's tokens to evaluate next: the one just sampled, and any text the
        #: grammar's path takes after it (``jump``) evaluated in the same step.
        self.next_tokens: list[int] = []
        # The reply so far -> text it writes next whatever is sampled; only a grammar
        # says what is allowed, so a request without one never jumps.
        self.jump = jump if constrained else None
        self.text = ""  # the reply so far
        self.logit_index: int | None = None
        self.generated = 0
        self.constrained = constrained  # the sampler's first stage is a grammar
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @property
    def warmed(self) -> bool:
        """A warm-up (no reply wanted) whose prompt is all evaluated."""
        return self.max_tokens == 0 and not self.pending


class Pieces:
    """What a reply's reader gets: each token's text, and the text its format writes next
    whatever the model would pick (``Request.jump``), as tokens its grammar allows."""

    def __init__(self, lib: Any, model: Any) -> None:
        self._lib = lib
        self._model = model  # llama_cpp._internals.LlamaModel: its vocabulary, tokenizer
        self._buffer = ctypes.create_string_buffer(256)
        self._tokens: dict[str, list[int]] = {}  # a jump's text, tokenized

    def emit(self, request: Request, token: int) -> None:
        """Hand ``token``'s text to the request's reader."""
        lib, buffer = self._lib, self._buffer
        size = lib.llama_token_to_piece(self._model.vocab, token, buffer, len(buffer), 0, False)
        text = request.decoder.decode(buffer.raw[: max(size, 0)])
        if text:
            request.text += text
            request.out.put(text)

    def jump(self, request: Request) -> list[int]:
        """The tokens of the text ``request.jump`` says comes next, accepted by the
        request's sampler and handed to its reader, as far as its grammar allows them."""
        if request.jump is None or request.sampler is None:
            return []
        text = request.jump(request.text)
        if not text:
            return []
        tokens = self._tokens.get(text)
        if tokens is None:
            tokens = self._model.tokenize(text.encode(), add_bos=False, special=False)
            if len(self._tokens) < 256:
                self._tokens[text] = tokens
        taken: list[int] = []
        for token in tokens:
            if not allows(self._lib, request.sampler, token):
                break
            self._lib.llama_sampler_accept(request.sampler, token)
            self.emit(request, token)
            taken.append(token)
        return taken


def model_params(lib: Any) -> Any:
    """llama.cpp's default model parameters, with its AMX code off in a build that has it.

    On a virtual machine of this kind whose CPU lists AMX, ggml's AMX matrix code died at
    its first ``ldtilecfg`` (a general protection fault: the whole server gone at the first
    reply). ``scripts/install.sh`` builds without AMX; a build made otherwise still runs,
    without the extra buffer types that would route work to AMX (docs/engines.md).
    """
    params = lib.llama_model_default_params()
    if b"AMX_INT8 = 1" in lib.llama_print_system_info():
        log.warning("llama.cpp was built with AMX: its AMX matrix code is turned off")
        params.use_extra_bufts = False
    return params


def make_sampler(lib: Any, vocab: Any, grammar: tuple[str, str] | None) -> Any:
    """A greedy sampler chain; with ``grammar`` = ``(gbnf, root_rule)`` its first stage."""
    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    if grammar is not None:
        gbnf, root = grammar
        constrained = lib.llama_sampler_init_grammar(vocab, gbnf.encode(), root.encode())
        if constrained is None:
            lib.llama_sampler_free(chain)
            raise GrammarError("llama.cpp rejected the reply grammar")
        lib.llama_sampler_chain_add(chain, constrained)
    lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
    return chain


def allows(lib: Any, sampler: Any, token: int) -> bool:
    """Whether the grammar (the first stage of ``sampler``) lets ``token`` come next: one
    candidate checked, not the vocabulary."""
    candidate = lib.llama_token_data(token, 0.0, 0.0)
    array = lib.llama_token_data_array(ctypes.pointer(candidate), 1, -1, False)
    lib.llama_sampler_apply(lib.llama_sampler_chain_get(sampler, 0), ctypes.byref(array))
    return math.isfinite(candidate.logit)


def pick_token(
    lib: Any, ctx: Any, sampler: Any, index: int, *, n_vocab: int, constrained: bool
) -> int:
    """The greedy token at logits row ``index`` the grammar allows (accepted by ``sampler``).

    Applying the grammar to all 151k candidates costs ~18 ms a token; the most likely
    token is almost always allowed, so check it alone first (llama.cpp's own common
    sampler does the same) and run the full constrained sampling only when it is not.
    """
    logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(ctx, index), (n_vocab,))
    token = int(logits.argmax())
    if constrained and not allows(lib, sampler, token):
        return int(lib.llama_sampler_sample(sampler, ctx, index))
    lib.llama_sampler_accept(sampler, token)
    return token
