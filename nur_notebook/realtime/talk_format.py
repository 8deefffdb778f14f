"""One printed line per conversation event, for ``nur-notebook talk`` (pure).

>>> from nur_notebook.protocol.events import TranscriptUserFinal
>>> format_event = EventFormatter()
>>> format_event(TranscriptUserFinal(turn=1, text="where is my order?"))
'user: where is my order?'
"""

from __future__ import annotations

import json
from typing import Any

from nur_notebook.protocol.events import (
    METRIC_KEYS,
    Error,
    MetricsTurn,
    SessionEnded,
    ToolCall,
    ToolCallCompleted,
    TranscriptAgentFinal,
    TranscriptUserFinal,
)
from nur_notebook.realtime.events import ConnectionReconnecting, ConnectionResumed

#: Longest tool argument or output text printed before it is cut.
MAX_VALUE_CHARS = 200

#: Words for each metric key (protocol.events.METRIC_KEYS), printed in its order.
_LABELS = {
    "voice_to_voice_ms": "voice-to-voice",
    "stt_ms": "stt",
    "llm_first_token_ms": "brain first token",
    "llm_first_sentence_ms": "brain first sentence",
    "tool_ms": "tools",
    "tts_first_audio_ms": "tts first audio",
}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


class EventFormatter:
    """Turns events into lines; remembers each tool call's arguments for its result line."""

    def __init__(self) -> None:
        self._arguments: dict[str, Any] = {}

    def __call__(self, event: Any) -> str | None:
        """The line to print for ``event``, or None for events not worth a line."""
        match event:
            case ToolCall(call_id=call_id, arguments=arguments):
                self._arguments[call_id] = arguments
                return None
            case ToolCallCompleted(call_id=call_id):
                return self._tool_line(event, self._arguments.pop(call_id, None))
            case _:
                return _line(event)

    @staticmethod
    def _tool_line(event: ToolCallCompleted, arguments: Any) -> str:
        args = "" if arguments is None else _short(arguments)
        arrow = "-> error:" if event.is_error else "->"
        output = _short(event.output)
        return f"tool: {event.name}({args}) {arrow} {output} ({event.duration_ms:.1f} ms)"


def _line(event: Any) -> str | None:
    match event:
        case TranscriptUserFinal(text=text):
            return f"user: {text}"
        case TranscriptAgentFinal(text=text, interrupted=interrupted):
            return f"agent: {text}" + (" [interrupted]" if interrupted else "")
        case MetricsTurn(turn=turn):
            parts = [f"{_LABELS.get(key, key)} {_ms(getattr(event, key))}" for key in METRIC_KEYS]
            return f"turn {turn}: " + " | ".join(parts)
        case SessionEnded(reason=reason):
            return f"session ended: {reason}"
        case Error(code=code, message=message, fatal=fatal):
            return f"error{' (fatal)' if fatal else ''}: {code}: {message}"
        case ConnectionReconnecting(attempt=attempt, delay=delay):
            return f"connection lost; reconnecting (attempt {attempt}, in {delay:.2f} s)"
        case ConnectionResumed(replayed=replayed):
            return f"connection resumed ({replayed} missed events replayed)"
        case _:
            return None
