"""The conversation's state as a pure reducer over session event dicts.

``Conversation`` feeds every event of its session (``event.to_dict()``) to
:meth:`ConversationState.apply`; the state keeps the final transcript, the tool-call
timeline and the per-turn metrics, each entry tagged with the agent version that was
live when it happened. No I/O: time comes in as ``now`` (seconds since the epoch), so
the reducer is tested with plain dicts.

    >>> state = ConversationState(agent_version=1)
    >>> sorted(state.apply({"type": "transcript.user.final", "turn": 1, "text": "hi"}, now=0))
    ['status', 'transcript']
    >>> state.transcript[0]["text"]
    'hi'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from nur_notebook.protocol.events import METRIC_KEYS

Status = Literal[
    "connecting",
    "loading",
    "listening",
    "user_speaking",
    "thinking",
    "speaking",
    "reconnecting",
    "ended",
    "error",
]
Field = Literal["transcript", "tool_calls", "metrics", "status", "error"]


#: Events that only move the status, and where to.
_STATUS_AFTER: dict[object, Status] = {
    "session.loading": "loading",
    "session.created": "listening",
    "session.resumed": "listening",
    "connection.resumed": "listening",
    "connection.reconnecting": "reconnecting",
    "input_audio.speech_stopped": "thinking",
}


def iso(now: float) -> str:
    """``now`` (epoch seconds) as ISO 8601 UTC with milliseconds and ``Z``."""
    stamp = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@dataclass
class ConversationState:
    """Transcript, tool calls, metrics and status of one session, built from its events."""

    agent_version: int = 1
    status: Status = "connecting"
    error: str = ""
    ended_reason: str | None = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    #: Responses begun and finished (any status), and the turn of the last one finished:
    #: ``Conversation.wait`` uses them to tell when the agent has answered.
    responses_started: int = 0
    responses_done: int = 0
    last_done_turn: int = -1
    last_metrics_turn: int = -1
    #: User turns transcribed so far.
    user_turns: int = 0
    last_seq: int = 0
    _speech_started_at: float | None = None
    _responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    _calls: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, event: dict[str, Any], *, now: float) -> set[Field]:
        """Fold one event into the state; returns the fields that changed.

        Events with a ``seq`` at or below the last one seen are replays and are ignored,
        so a resumed connection never duplicates a transcript entry.
        """
        seq = event.get("seq")
        if isinstance(seq, int) and seq > 0:
            if seq <= self.last_seq:
                return set()
            self.last_seq = seq
        kind = event.get("type")
        if kind in _STATUS_AFTER:
            return self._set_status(_STATUS_AFTER[kind])
        handle = _HANDLERS.get(kind)
        return handle(self, event, now) if handle is not None else set()

    @property
    def ended(self) -> bool:
        """Whether the session is over (ended by either side, or a fatal error)."""
        return self.status in ("ended", "error")

    def answered(self, *, inputs: int, greeting: bool) -> bool:
        """Whether the agent has answered everything: ``inputs`` user turns sent (typed
        or recorded), and the greeting if one was asked for. True once ended."""
        if self.ended:
            return True
        if self.status in ("connecting", "loading", "reconnecting"):
            return False
        if self.responses_started != self.responses_done or self.user_turns < inputs:
            return False
        if greeting and self.responses_done == 0:
            return False
        last_user_turn = max(
            (e["turn"] for e in self.transcript if e["role"] == "user"), default=-1
        )
        return not inputs or self.last_done_turn >= last_user_turn

    def complete(self, *, inputs: int, greeting: bool) -> bool:
        """``answered``, and the last user turn's ``metrics.turn`` (the server's last event
        of a turn) has arrived too, so the metrics include it. True once ended."""
        if not self.answered(inputs=inputs, greeting=greeting):
            return False
        if self.ended or not inputs:
            return True
        last_user_turn = max(
            (e["turn"] for e in self.transcript if e["role"] == "user"), default=-1
        )
        return self.last_metrics_turn >= last_user_turn

    def _set_status(self, status: Status) -> set[Field]:
        if self.status == status or self.ended:
            return set()
        self.status = status
        return {"status"}

    def _speech_started(self, event: dict[str, Any], now: float) -> set[Field]:
        self._speech_started_at = now
        return self._set_status("user_speaking")

    def _user_final(self, event: dict[str, Any], now: float) -> set[Field]:
        started = self._speech_started_at if self._speech_started_at is not None else now
        self._speech_started_at = None
        self.user_turns += 1
        self.transcript.append(
            {
                "role": "user",
                "text": str(event.get("text", "")),
                "turn": int(event.get("turn", 0)),
                "agent_version": self.agent_version,
                "started_at": iso(started),
                "ended_at": iso(now),
                "interrupted": False,
            }
        )
        return {"transcript", *self._set_status("thinking")}

    def _response_started(self, event: dict[str, Any], now: float) -> set[Field]:
        response_id = str(event.get("response_id", ""))
        self.responses_started += 1
        self._responses[response_id] = {"started_at": iso(now), "turn": event.get("turn", 0)}
        return self._set_status("speaking")

    def _agent_final(self, event: dict[str, Any], now: float) -> set[Field]:
        response_id = str(event.get("response_id", ""))
        started = self._responses.get(response_id, {}).get("started_at", iso(now))
        entry = {
            "role": "agent",
            "text": str(event.get("text", "")),
            "turn": int(event.get("turn", 0)),
            "agent_version": self.agent_version,
            "started_at": started,
            "ended_at": iso(now),
            "interrupted": bool(event.get("interrupted", False)),
            "response_id": response_id,
        }
        self._responses.setdefault(response_id, {})["entry"] = entry
        self.transcript.append(entry)
        return {"transcript"}

    def _interrupted(self, event: dict[str, Any], now: float) -> set[Field]:
        entry = self._responses.get(str(event.get("response_id", "")), {}).get("entry")
        if entry is None or entry["interrupted"]:
            return set()
        entry["interrupted"] = True
        return {"transcript"}

    def _tool_call(self, event: dict[str, Any], now: float) -> set[Field]:
        call_id = str(event.get("call_id", ""))
        if call_id in self._calls:
            return set()
        call: dict[str, Any] = {
            "call_id": call_id,
            "name": str(event.get("name", "")),
            "arguments": dict(event.get("arguments") or {}),
            "output": None,
            "is_error": False,
            "duration_ms": None,
            "turn": int(event.get("turn", 0)),
            "agent_version": self.agent_version,
            "started_at": iso(now),
            "status": "running",
        }
        self._calls[call_id] = call
        self.tool_calls.append(call)
        return {"tool_calls"}

    def _tool_completed(self, event: dict[str, Any], now: float) -> set[Field]:
        call_id = str(event.get("call_id", ""))
        call = self._calls.get(call_id)
        if call is None:  # the call itself was missed (joined late): record it whole
            self._tool_call({**event, "type": "tool.call"}, now)
            call = self._calls[call_id]
        call["output"] = event.get("output")
        call["is_error"] = bool(event.get("is_error", False))
        duration = event.get("duration_ms")
        call["duration_ms"] = float(duration) if isinstance(duration, int | float) else None
        call["status"] = "error" if call["is_error"] else "done"
        return {"tool_calls"}

    def _response_done(self, event: dict[str, Any], now: float) -> set[Field]:
        self.responses_done += 1
        self.last_done_turn = int(event.get("turn", 0))
        return self._set_status("listening")

    def _metrics(self, event: dict[str, Any], now: float) -> set[Field]:
        row: dict[str, Any] = {"turn": int(event.get("turn", 0))}
        row.update({key: event.get(key) for key in METRIC_KEYS})
        row["agent_version"] = self.agent_version
        self.metrics.append(row)
        self.last_metrics_turn = max(self.last_metrics_turn, row["turn"])
        return {"metrics"}

    def _session_ended(self, event: dict[str, Any], now: float) -> set[Field]:
        self.ended_reason = str(event.get("reason") or "ended")
        return self._set_status("ended")

    def _error(self, event: dict[str, Any], now: float) -> set[Field]:
        code = event.get("code", "error")
        self.error = f"{code}: {event.get('message', '')}".strip()
        changed: set[Field] = {"error"}
        if event.get("fatal"):
            changed |= self._set_status("error")
        return changed


_Handler = Callable[[ConversationState, dict[str, Any], float], set[Field]]
#: What each event with more to it than a status changes.
_HANDLERS: dict[object, _Handler] = {
    "input_audio.speech_started": ConversationState._speech_started,
    "transcript.user.final": ConversationState._user_final,
    "response.started": ConversationState._response_started,
    "transcript.agent.final": ConversationState._agent_final,
    "response.interrupted": ConversationState._interrupted,
    "response.done": ConversationState._response_done,
    "tool.call": ConversationState._tool_call,
    "tool.call.completed": ConversationState._tool_completed,
    "metrics.turn": ConversationState._metrics,
    "session.ended": ConversationState._session_ended,
    "error": ConversationState._error,
}
