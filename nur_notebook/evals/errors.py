"""What goes wrong with a suite, said before anything runs.

``SuiteError`` carries every problem found (``problems``), each naming the field by its path
(``scenarios[0].turns[1].expect.tool_call.name``) and, for a YAML suite, its file and line::

    suite.yaml line 14: scenarios[0].turns[0].expect.tool_call.name: unknown tool 'lookup';
    the agent's tools: lookup_order
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a suite: where (``path``, ``line``) and what."""

    path: str
    message: str
    line: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.source and self.line is not None:
            where = f"{self.source} line {self.line}: "
        elif self.line is not None:
            where = f"line {self.line}: "
        elif self.source:
            where = f"{self.source}: "
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class SuiteError(ValueError):
    """A suite that cannot run; ``problems`` lists every mistake found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        head = (
            "the suite has 1 problem" if len(lines) == 1 else f"the suite has {len(lines)} problems"
        )
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class EvalRunError(RuntimeError):
    """A run that could not start or go on (no server, an agent the server refused)."""


__all__ = ["EvalRunError", "Problem", "SuiteError"]
