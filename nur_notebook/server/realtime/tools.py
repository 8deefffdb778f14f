"""Waiting for the client's answers to tool calls.

The runtime opens a call, sends ``tool.call`` and awaits the outcome. The client's
``tool.result`` resolves it once; later results for the same ``call_id`` are
duplicates and change nothing; results for ids never opened are unknown. A call that
is not answered within the timeout becomes an error result the model sees.
"""

from __future__ import annotations

import asyncio
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
        self._pending: dict[str, asyncio.Future[ToolOutcome]] = {}
        self._done: set[str] = set()

    def open(self, call_id: str) -> None:
        """Start waiting for ``call_id``."""
        if call_id in self._pending or call_id in self._done:
            raise ValueError(f"tool call {call_id} already exists")
        self._pending[call_id] = asyncio.get_running_loop().create_future()

    def resolve(self, call_id: str, *, output: Any, is_error: bool) -> ResolveStatus:
        """Deliver the client's result; idempotent by ``call_id``."""
        if call_id in self._done:
            return "duplicate"
        future = self._pending.pop(call_id, None)
        if future is None:
            return "unknown"
        self._done.add(call_id)
        if not future.done():
            future.set_result(ToolOutcome(output=output, is_error=is_error))
        return "accepted"

    def deliver(
        self, call_id: str, *, output: Any, is_error: bool, event_id: str | None = None
    ) -> None:
        """``resolve``, raising the protocol's error for an unknown or duplicate result."""
        match self.resolve(call_id, output=output, is_error=is_error):
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
            case "accepted":
                pass

    async def wait(self, call_id: str, *, limit_s: float) -> ToolOutcome:
        """The outcome of ``call_id``: the client's result, or an error on timeout."""
        future = self._pending.get(call_id)
        if future is None:
            raise KeyError(call_id)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            outcome = await asyncio.wait_for(asyncio.shield(future), limit_s)
        except TimeoutError:
            self._pending.pop(call_id, None)
            self._done.add(call_id)
            outcome = ToolOutcome(
                output={"error": f"the tool did not answer within {limit_s:g} s"},
                is_error=True,
                timed_out=True,
            )
        elapsed = (loop.time() - started) * 1000
        return ToolOutcome(
            output=outcome.output,
            is_error=outcome.is_error,
            timed_out=outcome.timed_out,
            duration_ms=elapsed,
        )

    def cancel_all(self) -> None:
        """Forget pending calls (the response was interrupted or the session ended)."""
        for call_id, future in self._pending.items():
            future.cancel()
            self._done.add(call_id)
        self._pending.clear()

    @property
    def pending(self) -> list[str]:
        return list(self._pending)
