"""Cutting the brain's streamed reply into sentences for TTS, as it arrives.

The first sentence is what the user waits for, so a long first clause may be cut at
a comma too. Dots inside numbers ("3.5") and short abbreviations do not end a sentence
because a sentence end needs whitespace after the mark.

Example:
    >>> splitter = SentenceSplitter()
    >>> splitter.feed("Your order 42 has shipped. It arrives")
    ['Your order 42 has shipped.']
    >>> splitter.feed(" on Friday!") + splitter.flush()
    ['It arrives on Friday!']
"""

from __future__ import annotations

import re

_END = re.compile(r"[.!?;:\n]+[\"')\]]*\s+|\n+")
_COMMA = re.compile(r"[,\u2014-]\s+")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "e.g.", "i.e.", "vs.", "no.")


class SentenceSplitter:
    """Incremental splitter: ``feed`` text deltas, ``flush`` the tail at the end."""

    def __init__(self, *, min_chars: int = 12, first_clause_chars: int = 60) -> None:
        self.min_chars = min_chars
        self.first_clause_chars = first_clause_chars
        self._buffer = ""
        self._emitted = 0

    def feed(self, delta: str) -> list[str]:
        """Add ``delta``; return the sentences it completes, in order."""
        self._buffer += delta
        out: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            candidate = self._buffer[start : match.end()]
            head = candidate.strip()
            if len(head) < self.min_chars or head.lower().endswith(_ABBREVIATIONS):
                continue
            out.append(head)
            start = match.end()
        self._buffer = self._buffer[start:]
        if not out and self._emitted == 0 and len(self._buffer) > self.first_clause_chars:
            cut = None
            for match in _COMMA.finditer(self._buffer):
                if match.end() >= self.min_chars:
                    cut = match.end()
            if cut is not None:
                out.append(self._buffer[:cut].strip())
                self._buffer = self._buffer[cut:]
        self._emitted += len(out)
        return [s for s in out if s]

    def flush(self) -> list[str]:
        """Whatever is left, as a last sentence."""
        tail = self._buffer.strip()
        self._buffer = ""
        if tail:
            self._emitted += 1
            return [tail]
        return []
