"""Waiting on a session's event stream, for code that drives a conversation turn by turn
(``nur-notebook talk``, an eval attempt).

A reader task folds each event into a ``StreamWatch`` (a subclass adds what it tracks) and
sets ``changed``; the driver waits for a condition of it with ``until``, which gives up
with ``EndedEarly`` once the session is over. ``send_recording`` sends a recording as one
user turn and commits it when the server's VAD does not end it.

    watch = StreamWatch()
    ...  # a task: for each event, fold it, then watch.changed.set(); at the end finish()
    await send_recording(conn, pcm, watch, heard=lambda: bool(turns))
    await watch.until(lambda: bool(turns), within=60.0)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from nur_notebook.protocol.pcm import FRAME_MS, recording_as_turn
from nur_notebook.realtime.connection import AsyncSessionConnection

#: If the VAD has not ended a recorded turn this long after its silence, it is committed.
COMMIT_AFTER_S = 4.0


class EndedEarly(Exception):
    """The session ended (or its connection closed) before what was waited for."""


@dataclass
class StreamWatch:
    """What the event stream has shown so far: the turn ends the VAD heard
    (``speech_stopped``), why the session is over (``ended``, None while it runs), and
    ``changed``, set after every event."""

    speech_stopped: int = 0
    ended: str | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, ready: Callable[[], bool], within: float) -> None:
        """Return once ``ready()`` holds; ``TimeoutError`` after ``within`` seconds,
        ``EndedEarly`` when the session is over first."""
        async with asyncio.timeout(within):
            while not ready():
                if self.ended is not None:
                    raise EndedEarly
                self.changed.clear()
                await self.changed.wait()

    def finish(self, reason: str) -> None:
        """The stream is over: ``ended`` becomes ``reason`` unless the session said why it
        ended; waiters wake."""
        self.ended = self.ended or reason
        self.changed.set()


async def send_recording(
    conn: AsyncSessionConnection,
    pcm: bytes,
    watch: StreamWatch,
    *,
    heard: Callable[[], bool],
    pace: float = 1.0,
) -> None:
    """Send ``pcm`` (16 kHz mono PCM16) as one user turn at ``pace`` x real time: its
    frames, then silence (``recording_as_turn``). When neither the VAD ends the turn nor
    ``heard()`` holds within ``COMMIT_AFTER_S``, the turn is committed as push-to-talk
    would."""
    stopped_before = watch.speech_stopped
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, frame in enumerate(recording_as_turn(pcm)):
        await conn.send_audio(frame)
        due = start + (index + 1) * FRAME_MS / 1000 / pace
        await asyncio.sleep(max(0.0, due - loop.time()))
    try:
        await watch.until(lambda: watch.speech_stopped > stopped_before or heard(), COMMIT_AFTER_S)
    except TimeoutError:
        await conn.commit()


__all__ = ["COMMIT_AFTER_S", "EndedEarly", "StreamWatch", "send_recording"]
