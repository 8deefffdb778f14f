"""The tool calls of one session: which are open, which have their outcome.

A pure ledger (the session machine owns it; clocks come in as ``now``). The machine
opens a call when it sends ``tool.call``; the client's ``tool.result`` settles it once;
later results for the same ``call_id`` are duplicates and change nothing; results for ids
never opened are unknown. A call not answered in time expires into an error outcome the
model sees, and a late answer to it is a duplicate.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from nur_notebook.protocol.errors import ErrorCode, ProtocolError

ResolveStatus = Literal["accepted", "duplicate", "unknown"]


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced, as the model will see it."""

    output: Any
    is_error: bool
    timed_out: bool = False
    duration_ms: float = 0.0

    def as_text(self) -> str:
        """The output as JSON text (strings stay as they are)."""
        if isinstance(self.output, str):
            return self.output
        return json.dumps(self.output, ensure_ascii=False, default=str)


def new_call_id() -> str:
    return "call_" + secrets.token_hex(8)


class ToolCalls:
    """The pending and finished tool calls of one session."""

    def __init__(self) -> None:
        self._pending: dict[str, float] = {}  # call_id -> when it was opened
        self._done: set[str] = set()

    def open(self, call_id: str, *, now: float = 0.0) -> None:
        """Start waiting for ``call_id``."""
        if call_id in self._pending or call_id in self._done:
            raise ValueError(f"tool call {call_id} already exists")
        self._pending[call_id] = now

    def resolve(
        self, call_id: str, *, output: Any, is_error: bool, now: float = 0.0
    ) -> tuple[ResolveStatus, ToolOutcome | None]:
        """Settle ``call_id`` with the client's result; idempotent by ``call_id``."""
        if call_id in self._done:
            return "duplicate", None
        opened = self._pending.pop(call_id, None)
        if opened is None:
            return "unknown", None
        self._done.add(call_id)
        elapsed = max(0.0, now - opened) * 1000
        return "accepted", ToolOutcome(output=output, is_error=is_error, duration_ms=elapsed)

    def deliver(
        self,
        call_id: str,
        *,
        output: Any,
        is_error: bool,
        event_id: str | None = None,
        now: float = 0.0,
    ) -> ToolOutcome:
        """``resolve``, raising the protocol's error for an unknown or duplicate result."""
        status, outcome = self.resolve(call_id, output=output, is_error=is_error, now=now)
        match status:
            case "unknown":
                raise ProtocolError(
                    ErrorCode.UNKNOWN_CALL_ID,
                    f"tool.result for unknown call_id {call_id!r}",
                    event_id=event_id,
                )
            case "duplicate":
                raise ProtocolError(
                    ErrorCode.DUPLICATE_TOOL_RESULT,
                    f"call {call_id} already has a result; this one is ignored",
                    event_id=event_id,
                )
        assert outcome is not None
        return outcome

    def expire(self, call_id: str, *, limit_s: float, now: float) -> ToolOutcome | None:
        """The error outcome of a call that got no result in time (None: it has one)."""
        opened = self._pending.pop(call_id, None)
        if opened is None:
            return None
        self._done.add(call_id)
        return ToolOutcome(
            output={"error": f"the tool did not answer within {limit_s:g} s"},
            is_error=True,
            timed_out=True,
            duration_ms=max(0.0, now - opened) * 1000,
        )

    def cancel(self, call_ids: list[str]) -> None:
        """Forget these pending calls (their response stopped); late results are duplicates."""
        for call_id in call_ids:
            if self._pending.pop(call_id, None) is not None:
                self._done.add(call_id)

    def cancel_all(self) -> None:
        """Forget every pending call (the session ended)."""
        self.cancel(list(self._pending))

    @property
    def pending(self) -> list[str]:
        return list(self._pending)
