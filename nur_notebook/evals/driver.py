"""One attempt: a fresh session with an agent, the scenario's turns sent in order.

Typed turns go as ``input.text``; spoken and recorded ones as 16 kHz microphone frames at
real-time pace, then silence (``realtime.watch.send_recording``), so the server's VAD ends
the turn and its STT writes what it heard (``transcribed``). Each turn waits for the user's
final transcript, the reply's ``response.done`` and the turn's ``metrics.turn``. The
attempt records every turn (what the result rows hold) and the audio both ways (for the
report and the widget).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nur_notebook.protocol.events import Error as ErrorEvent
from nur_notebook.protocol.events import (
    MetricsTurn,
    ResponseDone,
    ResponseStarted,
    SessionEnded,
    SpeechStopped,
    ToolCall,
    ToolCallCompleted,
    TranscriptAgentFinal,
    TranscriptUserFinal,
)
from nur_notebook.realtime.events import ResponseAudio
from nur_notebook.realtime.watch import EndedEarly, StreamWatch, send_recording

#: How long after a turn is sent the server may take to say what it heard.
HEARD_TIMEOUT_S = 60.0
#: How long a reply may take.
REPLY_TIMEOUT_S = 600.0
#: After ``response.done``, how long to wait for the turn's ``metrics.turn``.
METRICS_GRACE_S = 3.0


@dataclass
class PlannedTurn:
    """What to send for one turn: ``text`` (typed), or ``pcm`` (16 kHz mono PCM16)."""

    user: str | None
    text: str | None = None
    pcm: bytes | None = None


@dataclass
class TurnAudio:
    """A turn's sound: what the user sent (16 kHz) and what the agent said."""

    user_pcm: bytes = b""
    agent_pcm: bytes = b""
    agent_rate: int = 24_000


@dataclass
class Attempt:
    """What one attempt recorded."""

    session_id: str
    turns: list[dict[str, Any]] = field(default_factory=list)
    audio: list[TurnAudio] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Live(StreamWatch):
    """The event stream so far, folded by server turn number."""

    user: dict[int, str] = field(default_factory=dict)
    replies: dict[int, list[str]] = field(default_factory=dict)
    calls: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    by_call: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)
    metrics: dict[int, float | None] = field(default_factory=dict)
    generation_turn: dict[int, int] = field(default_factory=dict)
    audio: dict[int, list[tuple[bytes, int]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def run_attempt(
    client: Any,
    *,
    agent_id: str,
    turns: Sequence[PlannedTurn],
    tools: Mapping[str, Callable[..., Any]],
    initial_message: str | None = None,
) -> Attempt:
    """Run ``turns`` in a new session of ``agent_id`` (``client``: an ``AsyncNurClient``)."""
    session = await client.agents.sessions.create(
        agent_id=agent_id, initial_message=initial_message
    )
    attempt = Attempt(session_id=str(session.session_id))
    live = _Live()
    async with client.agents.sessions.connect(session, tools=dict(tools)) as conn:
        reader = asyncio.create_task(_read(conn, live))
        try:
            if initial_message:
                await live.until(lambda: 0 in live.done, REPLY_TIMEOUT_S)
            for planned in turns:
                await _one_turn(conn, live, planned, attempt)
        except TimeoutError as exc:
            attempt.error = str(exc) or "a turn timed out"
        except EndedEarly:
            attempt.error = f"the session ended early ({live.ended})"
        finally:
            with contextlib.suppress(Exception):
                await conn.end()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    if live.errors and attempt.error is None and len(attempt.turns) < len(turns):
        attempt.error = "; ".join(live.errors)
    return attempt


async def _one_turn(conn: Any, live: _Live, planned: PlannedTurn, attempt: Attempt) -> None:
    heard_before = set(live.user)

    def heard() -> bool:
        return bool(set(live.user) - heard_before)

    if planned.pcm is not None:
        await send_recording(conn, planned.pcm, live, heard=heard)
    else:
        await conn.send_text(planned.text or planned.user or "")
    try:
        await live.until(heard, HEARD_TIMEOUT_S)
    except TimeoutError:
        raise TimeoutError("the server heard no words in the turn") from None
    turn = min(set(live.user) - heard_before)
    try:
        await live.until(lambda: turn in live.done, REPLY_TIMEOUT_S)
    except TimeoutError:
        raise TimeoutError(f"no reply within {REPLY_TIMEOUT_S:g} s") from None
    with contextlib.suppress(TimeoutError):
        await live.until(lambda: turn in live.metrics, METRICS_GRACE_S)
    pieces = live.audio.get(turn, [])
    rate = pieces[0][1] if pieces else 24_000
    attempt.audio.append(
        TurnAudio(
            user_pcm=planned.pcm or b"",
            agent_pcm=b"".join(p for p, r in pieces if r == rate),
            agent_rate=rate,
        )
    )
    attempt.turns.append(
        {
            "user": planned.user,
            "transcribed": live.user[turn],
            "reply": " ".join(t for t in live.replies.get(turn, []) if t).strip(),
            "tool_calls": [dict(c) for c in live.calls.get(turn, [])],
            "latency_ms": live.metrics.get(turn),
        }
    )


async def _read(conn: Any, live: _Live) -> None:
    try:
        async for event in conn:
            _fold(live, event)
            live.changed.set()
    except Exception as exc:
        live.errors.append(f"the session connection failed: {exc}")
        live.finish("error")
    else:
        live.finish("closed")


def _fold(live: _Live, event: Any) -> None:
    match event:
        case ResponseAudio(pcm=pcm, sample_rate=rate, generation=generation):
            turn = live.generation_turn.get(generation)
            if turn is not None and pcm:
                live.audio.setdefault(turn, []).append((pcm, rate))
        case ResponseStarted(turn=turn, generation=generation):
            live.generation_turn[generation] = turn
        case TranscriptUserFinal(turn=turn, text=text):
            live.user[turn] = text
        case TranscriptAgentFinal(turn=turn, text=text):
            live.replies.setdefault(turn, []).append(text)
        case ToolCall(call_id=call_id, name=name, arguments=arguments, turn=turn):
            call = {"name": name, "arguments": arguments, "output": None, "is_error": False}
            live.by_call[call_id] = call
            live.calls.setdefault(turn, []).append(call)
        case ToolCallCompleted(call_id=call_id, output=output, is_error=is_error):
            if call_id in live.by_call:
                live.by_call[call_id].update(output=output, is_error=is_error)
        case ResponseDone(turn=turn):
            live.done.add(turn)
        case MetricsTurn(turn=turn, voice_to_voice_ms=latency):
            live.metrics[turn] = None if latency is None else round(float(latency), 1)
        case SpeechStopped():
            live.speech_stopped += 1
        case SessionEnded(reason=reason):
            live.ended = reason
        case ErrorEvent(code=code, message=message):
            live.errors.append(f"{code}: {message}")
        case _:
            pass


__all__ = ["Attempt", "PlannedTurn", "TurnAudio", "run_attempt"]
