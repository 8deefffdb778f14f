"""Which KV-cache sequence holds what: session slots and shared prompt prefixes. Pure logic.

The batch engine's llama.cpp context holds two kinds of sequences. A *slot* is one
conversation's: it remembers the tokens it holds and the session (``key``) that last
used it, so that session's next prompt evaluates only what follows the common prefix.
A *prefix* is a fixed prompt head that many sessions start with (the instructions, an
agent version's system prompt and tool block): it is evaluated once into a sequence of
its own and copied into each new session's slot. With one unified KV cache llama.cpp's
sequence copy only tags the cells with the new sequence: it costs no memory and no
evaluation, so a new session of a known agent evaluates only its own turn. For the same
reason a request may start from any other sequence sharing the start of its prompt (the
instructions every agent with tools begins with, a keyless request asked twice):
:func:`longest_start` finds it.

Prefixes are bounded by :attr:`PrefixCache.budget_cells` KV cells (each prefix counts
all its tokens) and a number of sequences: a new prefix evicts the least recently used
idle ones until it fits. Cells a session still holds stay until it lets go of them.

    >>> cache = PrefixCache([4, 5], budget_cells=6, min_tokens=2)
    >>> first, evicted = cache.add([1, 2, 3, 4], now=1.0)
    >>> first.tokens, first.busy = [1, 2, 3, 4], False  # the engine evaluated it
    >>> cache.match([1, 2, 3, 9])[1]
    3
    >>> cache.add([7, 7, 7], now=2.0)[1] == [first]  # 4 + 3 cells > 6: the older goes
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

#: KV cells shared prompt prefixes may hold (all agent versions together), by default.
DEFAULT_PREFIX_CELLS = 2048
#: Shared prefixes kept at once, by default (each is one llama.cpp sequence).
DEFAULT_PREFIXES = 8


@dataclass
class Slot:
    """One llama.cpp sequence and the tokens its cells hold, in order."""

    seq_id: int
    tokens: list[int] = field(default_factory=list)
    key: str | None = None
    busy: bool = False
    last_used: float = 0.0
    #: A prefix being evaluated: the tokens it will hold once done.
    target: list[int] | None = None

    def will_hold(self) -> list[int]:
        """The tokens this sequence holds, or will once its evaluation is done."""
        return self.target if self.target is not None else self.tokens


def common_prefix(a: list[int], b: list[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def longest_start(prompt: list[int], sequences: Iterable[Slot]) -> tuple[Slot | None, int]:
    """The sequence whose tokens share the longest start with ``prompt``, and its length
    (None and 0 when none shares a token)."""
    best: Slot | None = None
    length = 0
    for sequence in sequences:
        if (n := common_prefix(sequence.tokens, prompt)) > length:
            best, length = sequence, n
    return best, length


def choose_slot(slots: list[Slot], key: str | None) -> Slot | None:
    """The slot for a request: its session's own, else an empty one, else the least recent.

    Busy slots are never taken; None when all are busy, or while the session's own slot
    is busy (its warm-up or its cancelled reply ends within a step or two, and waiting
    for it beats evaluating the whole prompt again elsewhere).
    """
    if key is not None and any(s.busy and s.key == key for s in slots):
        return None
    free = [s for s in slots if not s.busy]
    if not free:
        return None
    if key is not None:
        for slot in free:
            if slot.key == key:
                return slot
    empty = [s for s in free if not s.tokens]
    if empty:
        return empty[0]
    return min(free, key=lambda s: s.last_used)


class PrefixCache:
    """Shared prompt prefixes on their own sequences, least recently used evicted first.

    ``seq_ids`` are the sequences reserved for prefixes; ``budget_cells`` bounds the
    tokens they hold together (0 turns sharing off); matches shorter than
    ``min_tokens`` are not worth a copy.
    """

    def __init__(self, seq_ids: Iterable[int], *, budget_cells: int, min_tokens: int = 32):
        self._free = list(seq_ids)
        self.entries: list[Slot] = []
        self.budget_cells = budget_cells
        self.min_tokens = min_tokens

    @property
    def enabled(self) -> bool:
        return self.budget_cells > 0 and bool(self._free or self.entries)

    @property
    def cells(self) -> int:
        """KV cells the prefixes hold (or will hold once evaluated)."""
        return sum(len(entry.will_hold()) for entry in self.entries)

    def find(self, prompt: list[int]) -> Slot | None:
        """The prefix holding exactly ``prompt`` (done or being evaluated)."""
        for entry in self.entries:
            if entry.will_hold() == prompt:
                return entry
        return None

    def match(
        self, prompt: list[int], *, ready_only: bool = False, sessions: Iterable[Slot] = ()
    ) -> tuple[Slot | None, int]:
        """The prefix or session sequence sharing the longest start with ``prompt``, and
        that length.

        A prefix still being evaluated matches by what it will hold (a request then
        waits for it), unless ``ready_only``. ``sessions`` match by the tokens they hold
        (between engine steps all evaluated), only while sharing is on.
        """
        best: Slot | None = None
        length = 0
        for entry in self.entries:
            if ready_only and entry.busy:
                continue
            n = common_prefix(entry.will_hold(), prompt)
            if n > length:
                best, length = entry, n
        if self.budget_cells > 0:
            session, n = longest_start(prompt, sessions)
            if n > length:
                best, length = session, n
        if length < self.min_tokens:
            return None, 0
        return best, length

    def add(self, prompt: list[int], *, now: float) -> tuple[Slot, list[Slot]] | None:
        """A new prefix entry for ``prompt`` and the idle ones evicted to make room.

        The caller clears the evicted entries' sequences and evaluates the new one (it
        is returned busy, with ``target`` set). None when ``prompt`` cannot fit even
        with every idle prefix evicted.
        """
        if not prompt or len(prompt) > self.budget_cells:
            return None
        idle = sorted((e for e in self.entries if not e.busy), key=lambda e: e.last_used)
        cells, free = self.cells, len(self._free)
        evict: list[Slot] = []
        while cells + len(prompt) > self.budget_cells or free == 0:
            if not idle:
                return None
            victim = idle.pop(0)
            evict.append(victim)
            cells -= len(victim.will_hold())
            free += 1
        for victim in evict:
            self.remove(victim)
        entry = Slot(seq_id=self._free.pop(0), busy=True, last_used=now, target=list(prompt))
        self.entries.append(entry)
        return entry, evict

    def remove(self, entry: Slot) -> None:
        """Forget ``entry`` (the caller clears its sequence); its sequence id is free again."""
        self.entries.remove(entry)
        entry.tokens.clear()
        entry.target = None
        self._free.append(entry.seq_id)

    def idle(self) -> list[Slot]:
        """Prefixes not being evaluated, least recently used first."""
        return sorted((e for e in self.entries if not e.busy), key=lambda e: e.last_used)
