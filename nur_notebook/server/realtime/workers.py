"""The driver's workers: a brain stream read in a worker thread, and a reply's speaker.

Both run blocking engine calls on the session's executor (``loop.run_in_executor``: the
one way this package leaves the event loop) and report to the session machine through
``feed``. Neither decides anything: they stop when the machine says so (their task is
cancelled) and report what happened with the id the machine gave them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Executor
from typing import Any

from nur_notebook.server.pipeline.base import TTS, BrainEvent, SayDelta, ToolCallDecision
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.audio_out import PlayoutClock, resample

Feed = Callable[[io.Input], Awaitable[None]]
SendAudio = Callable[[bytes, int, bool], Awaitable[None]]
#: Output audio frame length.
FRAME_S = 0.04
_END = object()
#: A synthesized sentence (text, PCM16 bytes, synthesis ms), a failure, or the end.
_Synthesized = tuple[str, bytes, float] | Exception | None


async def read_brain(
    stream: str,
    start: Callable[[], Iterator[BrainEvent]],
    *,
    feed: Feed,
    pool: Executor | None,
    stop: threading.Event,
) -> None:
    """Iterate ``start()`` in a worker thread; feed each piece, then ``BrainDone``.

    Setting ``stop`` (the task is cancelled) makes the thread close the generator at its
    next piece, which stops the generation.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def put(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone at shutdown
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        if stop.is_set():
            put(_END)
            return
        events: Iterator[BrainEvent] | None = None
        try:
            events = start()
            for item in events:
                if stop.is_set():
                    break
                put(item)
        except Exception as exc:
            put(exc)
        finally:
            close = getattr(events, "close", None)
            if close is not None:  # a generator: closing stops the generation
                close()
            put(_END)

    loop.run_in_executor(pool, work)
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, Exception):
                await feed(io.BrainFailed(stream, str(item)))
                return
            if isinstance(item, SayDelta):
                await feed(io.BrainSaid(stream, item.text))
            elif isinstance(item, ToolCallDecision):
                await feed(io.BrainDecided(stream, item))
        await feed(io.BrainDone(stream))
    finally:
        stop.set()


class Speaker:
    """Speaks one reply: synthesizes a sentence ahead of playback, sends paced frames.

    Audio leaves at real time with a small lead, so what the machine counts as played is
    what the user heard. A held speaker synthesizes but sends nothing until released.
    """

    def __init__(
        self,
        command: io.StartSpeaking,
        *,
        tts: TTS,
        voice_id: str,
        language: str,
        send_audio: SendAudio,
        feed: Feed,
        pool: Executor | None,
        lead_s: float,
        on_synthesized: Callable[[], object] | None = None,
    ) -> None:
        self.response_id = command.response_id
        self._generation = command.generation
        self._rate = command.rate
        self._tts = tts
        self._voice = (voice_id, language)
        self._send_audio = send_audio
        self._feed = feed
        self._pool = pool
        self._clock = PlayoutClock(lead_s=lead_s)
        self._on_synthesized = on_synthesized
        self._sentences: asyncio.Queue[str | None] = asyncio.Queue()
        self._released = asyncio.Event()
        if not command.hold:
            self._released.set()
        #: The task running ``run()`` (the driver starts it).
        self.task: asyncio.Task[None] | None = None

    def say(self, text: str) -> None:
        self._sentences.put_nowait(text)

    def finish(self) -> None:
        self._sentences.put_nowait(None)

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def run(self) -> None:
        """Speak every sentence given, until ``finish``; then report ``PlayoutDone``."""
        audio: asyncio.Queue[_Synthesized] = asyncio.Queue(maxsize=1)
        synth = asyncio.create_task(self._synthesize(audio))
        try:
            frame_bytes = int(self._rate * FRAME_S) * 2
            while (item := await audio.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                text, pcm, synth_ms = item
                await self._released.wait()
                duration = len(pcm) / 2 / self._rate
                self._clock.add_segment(text, duration)
                await self._feed(io.SegmentStarted(self.response_id, text, duration, synth_ms))
                for offset in range(0, len(pcm), frame_bytes):
                    chunk = pcm[offset : offset + frame_bytes]
                    chunk_s = len(chunk) / 2 / self._rate
                    delay = self._clock.delay_before(chunk_s)
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await self._send_audio(chunk, self._generation, False)
                    self._clock.sent(chunk_s)
                    await self._feed(io.AudioSent(self.response_id, chunk_s))
            await synth
            if self._clock.sent_s > 0:
                await self._send_audio(b"", self._generation, True)
                # Stay "speaking" until the lead has played out, so late barge-in is caught.
                remaining = self._clock.sent_s - self._clock.played_s()
                if remaining > 0:
                    await asyncio.sleep(remaining)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._feed(io.SpeakFailed(self.response_id, str(exc)))
            return
        finally:
            if not synth.done():
                synth.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await synth
        await self._feed(io.PlayoutDone(self.response_id))

    async def _synthesize(self, audio: asyncio.Queue[_Synthesized]) -> None:
        loop = asyncio.get_running_loop()
        voice_id, language = self._voice
        try:
            while (sentence := await self._sentences.get()) is not None:
                started = time.monotonic()
                speak = functools.partial(
                    self._tts.synthesize, sentence, voice_id=voice_id, language=language
                )
                pcm = await loop.run_in_executor(self._pool, speak)
                synth_ms = (time.monotonic() - started) * 1000
                out = resample(pcm, src_rate=self._tts.sample_rate, dst_rate=self._rate)
                if out.size:
                    await audio.put((sentence, out.astype("<i2").tobytes(), synth_ms))
        except Exception as exc:  # the player reports it
            await audio.put(exc)
            return
        if self._on_synthesized is not None:
            await self._released.wait()  # a held reply may yet be dropped
            self._on_synthesized()
        await audio.put(None)
