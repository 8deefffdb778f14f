"""``nur-notebook talk``: one conversation with an agent from the command line.

Creates a session, sends typed turns (``--text``) or a recording (``--wav``, resampled to
16 kHz mono and streamed at real-time pace, then silence so the server's VAD ends the
turn), prints the conversation as it happens and writes the agent's voice to a WAV.

    $ nur-notebook talk agt_abc123 --text "Where is order 12345?" --out reply.wav
    user: Where is order 12345?
    tool: lookup_order({"order_id": "12345"}) -> {"status": "shipped"} (3.1 ms)
    agent: Your order 12345 has shipped.
    turn 1: voice-to-voice 1840 ms | stt - | brain first token 310 ms | ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nur_notebook.protocol.events import (
    Error,
    MetricsTurn,
    ResponseDone,
    SessionEnded,
    SpeechStopped,
    TranscriptUserFinal,
)
from nur_notebook.protocol.pcm import float_to_pcm16, pcm16_to_float, resample
from nur_notebook.realtime.audio import write_wav
from nur_notebook.realtime.connection import AsyncSessionConnection
from nur_notebook.realtime.events import ResponseAudio
from nur_notebook.realtime.talk_format import EventFormatter
from nur_notebook.realtime.tools import ToolFunction
from nur_notebook.realtime.watch import EndedEarly, StreamWatch, send_recording

#: After ``response.done``, how long to wait for the turn's ``metrics.turn``.
METRICS_GRACE_S = 3.0


@dataclass
class TalkPlan:
    """What to say: typed turns, or one recording (already 16 kHz mono PCM16)."""

    texts: Sequence[str] = ()
    pcm: bytes | None = None
    greeting: bool = False
    #: Seconds to wait for each reply.
    turn_timeout: float = 180.0
    #: Stream audio this many times faster than real time (1.0 = real time).
    pace: float = 1.0


@dataclass
class _Progress(StreamWatch):
    """What the event stream has shown so far, for waiting on turns."""

    user_turns: list[int] = field(default_factory=list)
    done_turns: set[int] = field(default_factory=set)
    metrics_turns: set[int] = field(default_factory=set)
    errors: int = 0


class AudioSink:
    """Collects the agent's audio at the first sample rate heard (resampling any other)."""

    def __init__(self) -> None:
        self.sample_rate: int | None = None
        self._chunks: list[bytes] = []

    def add(self, pcm: bytes, sample_rate: int) -> None:
        if self.sample_rate is None:
            self.sample_rate = sample_rate
        if sample_rate != self.sample_rate:
            pcm = float_to_pcm16(
                resample(pcm16_to_float(pcm), src_rate=sample_rate, dst_rate=self.sample_rate)
            )
        self._chunks.append(pcm)

    @property
    def pcm(self) -> bytes:
        return b"".join(self._chunks)

    def write(self, path: Path) -> float:
        """Write the audio as a WAV; returns its length in seconds."""
        rate = self.sample_rate or 24_000
        pcm = self.pcm
        write_wav(path, pcm, sample_rate=rate)
        return len(pcm) / 2 / rate


async def run_talk(
    conn: AsyncSessionConnection,
    plan: TalkPlan,
    *,
    sink: AudioSink,
    out: Callable[[str], None] = print,
) -> int:
    """Drive one conversation on an open connection; the exit status (0 = every reply came)."""
    progress = _Progress()
    reader = asyncio.create_task(_read(conn, progress, sink, out, EventFormatter()))
    try:
        if plan.greeting:
            await progress.until(lambda: 0 in progress.done_turns, plan.turn_timeout)
        for text in plan.texts:
            await _turn(progress, conn.send_text(text), plan, out)
        if plan.pcm is not None:
            await _turn(progress, _stream(conn, plan.pcm, progress, plan.pace), plan, out)
    except TimeoutError:
        out(f"error: no reply within {plan.turn_timeout:g} s")
        return 1
    except EndedEarly:
        # The session ended on its own (max_turns, expiry): fine. A lost connection is not.
        return 1 if progress.ended in ("error", "closed") else 0
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    return 1 if progress.ended == "error" else 0


async def _turn(
    progress: _Progress, send: Awaitable[None], plan: TalkPlan, out: Callable[[str], None]
) -> None:
    before = len(progress.user_turns)
    await send
    await progress.until(lambda: len(progress.user_turns) > before, plan.turn_timeout)
    turn = progress.user_turns[before]
    await progress.until(lambda: turn in progress.done_turns, plan.turn_timeout)
    try:
        await progress.until(lambda: turn in progress.metrics_turns, METRICS_GRACE_S)
    except TimeoutError:
        out(f"turn {turn}: no metrics")


async def _stream(
    conn: AsyncSessionConnection, pcm: bytes, progress: _Progress, pace: float
) -> None:
    users_before = len(progress.user_turns)
    heard = lambda: len(progress.user_turns) > users_before  # noqa: E731 - a one-line predicate
    await send_recording(conn, pcm, progress, heard=heard, pace=pace)


async def _read(
    conn: AsyncSessionConnection,
    progress: _Progress,
    sink: AudioSink,
    out: Callable[[str], None],
    format_event: EventFormatter,
) -> None:
    try:
        async for event in conn:
            match event:
                case ResponseAudio(pcm=pcm, sample_rate=rate):
                    sink.add(pcm, rate)
                case TranscriptUserFinal(turn=turn):
                    progress.user_turns.append(turn)
                case SpeechStopped():
                    progress.speech_stopped += 1
                case ResponseDone(turn=turn):
                    progress.done_turns.add(turn)
                case MetricsTurn(turn=turn):
                    progress.metrics_turns.add(turn)
                case SessionEnded(reason=reason):
                    progress.ended = reason
                case Error():
                    progress.errors += 1
                case _:
                    pass
            line = format_event(event)
            if line is not None:
                out(line)
            progress.changed.set()
    except Exception as exc:
        out(f"error: {exc}")
        progress.finish("error")
    else:
        progress.finish("closed")


def load_tools(specs: Sequence[str]) -> dict[str, ToolFunction]:
    """Tool functions from ``module:function`` or ``path/to/file.py:function`` specs."""
    import importlib
    import importlib.util

    tools: dict[str, ToolFunction] = {}
    for spec in specs:
        source, sep, name = spec.rpartition(":")
        if not sep or not source or not name:
            raise ValueError(f"--tool takes MODULE:FUNCTION or FILE.py:FUNCTION, got {spec!r}")
        if source.endswith(".py"):
            module_spec = importlib.util.spec_from_file_location(Path(source).stem, source)
            if module_spec is None or module_spec.loader is None:
                raise ValueError(f"--tool: cannot load {source}")
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(source)
        fn = getattr(module, name, None)
        if not callable(fn):
            raise ValueError(f"--tool: {source} has no function {name!r}")
        tools[name] = fn
    return tools


__all__ = ["AudioSink", "TalkPlan", "load_tools", "run_talk"]
