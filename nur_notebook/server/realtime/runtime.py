"""The asyncio driver of one voice session: runs the session machine's commands.

A runtime outlives its connections: when the socket drops mid-reply the reply goes on
(its events are logged, its audio is dropped) and a client that reconnects with
``last_seq`` gets what it missed. Every decision is the ``SessionMachine``'s; the runtime
feeds it inputs (decoded client events, what the listener heard, engine results, timers)
one at a time under a lock and runs the commands it returns: events through the
``Outbox`` (numbered, filed in SQLite, sent), engines on the executor, timers on the loop.

Example (what the endpoint does)::

    runtime = SessionRuntime(info, engines=engines, store=store)
    await runtime.attach(Connection(websocket), last_seq=None, resume_token=None)
    await runtime.on_text('{"type": "input.text", "text": "hello"}')
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any

from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.protocol.events import Ack, decode_client_event, encode_event
from nur_notebook.protocol.frames import FrameKind, decode_frame
from nur_notebook.protocol.replay import ReplayLog
from nur_notebook.server.pipeline.base import Float32Audio, Message
from nur_notebook.server.pipeline.registry import Engines
from nur_notebook.server.pipeline.stt import stt_hints
from nur_notebook.server.pipeline.text import heard_so_far
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.acks import ClientAcks, seq_of
from nur_notebook.server.realtime.connection import Connection
from nur_notebook.server.realtime.history import History
from nur_notebook.server.realtime.limits import FloodGuard
from nur_notebook.server.realtime.listener import Listener
from nur_notebook.server.realtime.machine import SessionMachine
from nur_notebook.server.realtime.outbox import Outbox
from nur_notebook.server.realtime.profile import AUDIO_UNIT_BYTES, RuntimeOptions, SessionInfo
from nur_notebook.server.realtime.transcripts import TranscriptStore
from nur_notebook.server.realtime.workers import Speaker, read_brain

log = logging.getLogger(__name__)

EndedCallback = Callable[[str, str], Awaitable[None]]


class SessionRuntime:
    """One session's conversation; the endpoint attaches connections to it."""

    def __init__(
        self,
        info: SessionInfo,
        *,
        engines: Engines,
        store: TranscriptStore,
        options: RuntimeOptions | None = None,
        on_ended: EndedCallback | None = None,
        pool: Executor | None = None,
    ) -> None:
        self.options = options = options or RuntimeOptions()
        self._engines = engines
        self._store = store
        self._on_ended = on_ended
        self._pool = pool
        self.out = Outbox(info.session_id, store=store)
        history, turns_used, greeted = History(), 0, False
        saved = store.load_state(info.session_id)
        if saved is not None:  # the server restarted: carry on numbering and resuming
            token, turns_used, greeted = saved
            history.rebuild(self.out.restore(token))
        self.machine = SessionMachine(
            info, options=options, turns_used=turns_used, greeted=greeted, history=history
        )
        self.listener = Listener(
            engines.new_vad(),
            self.machine.settings.turn_detection,
            pause_ms=options.speculate_ms,
            ahead_ms=options.ahead_ms,
        )
        stream, applied = store.load_acks(info.session_id)
        self.acks = ClientAcks(stream=stream, applied=applied)
        self._events = FloodGuard(options.event_limit, what="events", strikes=options.flood_strikes)
        self._audio = FloodGuard(
            options.audio_limit, what="audio (20 ms units)", strikes=options.flood_strikes
        )
        self._lock = asyncio.Lock()
        self._loop = asyncio.get_running_loop()
        self._jobs: dict[int, asyncio.Task[None]] = {}
        self._brains: dict[str, tuple[asyncio.Task[None], threading.Event]] = {}
        self._speakers: dict[str, Speaker] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        expires_in = (info.expires_at - datetime.now(UTC)).total_seconds()
        for command in self.machine.handle(io.Started(expires_in), now=time.monotonic()):
            assert isinstance(command, io.SetTimer)
            self._set_timer(command)

    # --- connections ----------------------------------------------------------------

    @property
    def info(self) -> SessionInfo:
        """The session as the machine knows it (``session.update`` may change its prompt)."""
        return self.machine.info

    @property
    def ended(self) -> str | None:
        return self.machine.ended

    @property
    def log(self) -> ReplayLog:
        return self.out.log

    async def attach(
        self, conn: Connection, *, last_seq: int | None, resume_token: str | None
    ) -> None:
        """Make ``conn`` the live connection (replacing any other); replay on resume."""
        replay = self.out.connect(conn, last_seq=last_seq, token=resume_token)
        acked = self.acks.connect(conn.client_stream)
        token = self.log.resume_token
        attached = io.Attached(
            resume_token=token, last_seq=last_seq, replayed=len(replay), client_seq=acked
        )
        await self.feed(attached)

    def detach(self, conn: Connection) -> None:
        self.out.disconnect(conn)

    async def error(self, exc: ProtocolError) -> None:
        await self.out.error(exc)

    async def failed(self, exc: Exception) -> None:
        """A bug broke what the session was doing: the client hears ``internal_error``
        (the exception's type, no details) and the socket closes with 1011."""
        await self.error(
            ProtocolError(
                ErrorCode.INTERNAL_ERROR,
                f"internal error: {type(exc).__name__}",
                close_code=CloseCode.INTERNAL_ERROR,
            )
        )

    # --- input ------------------------------------------------------------------------

    async def _admitted(self, guard: FloodGuard, cost: float = 1.0) -> bool:
        match guard.admit(cost):
            case "pass":
                return True
            case "report":
                await self.error(guard.error(fatal=False))
            case "close":
                await self.error(guard.error(fatal=True))
            case "drop":
                pass
        return False

    async def on_text(self, raw: str) -> None:
        """One text frame from the client: decoded here, then into the machine."""
        if self.ended or not await self._admitted(self._events):
            return
        seq: int | None = None
        try:
            event = decode_client_event(raw)
            seq = event.seq
            if self.acks.accept(seq):  # False: a client's resend of an event applied before
                self._store.save_acks(self.info.session_id, self.acks.state())
                await self.feed(io.ClientEventIn(event))
        except ProtocolError as exc:
            seq = seq_of(raw)
            if self.acks.settle(seq):
                self._store.save_acks(self.info.session_id, self.acks.state())
            await self.error(exc)
        if seq is not None and self.out.conn is not None:
            self.out.conn.send_text(encode_event(Ack(client_seq=self.acks.applied)))

    async def on_bytes(self, raw: bytes) -> None:
        """One binary frame (user audio) from the client."""
        cost = max(1.0, len(raw) / AUDIO_UNIT_BYTES)  # a long frame is a lot of audio
        if self.ended or not await self._admitted(self._audio, cost):
            return
        try:
            frame = decode_frame(raw, expect=FrameKind.INPUT)
        except ProtocolError as exc:
            await self.error(exc)
            return
        for happened in self.listener.feed(frame.pcm):  # speech started, paused, stopped
            await self.feed(happened)
        if self.listener.speaking:
            await self.feed(io.HeardSpeaking(self.listener.speech_ms()))

    # --- the end ----------------------------------------------------------------------

    async def end(self, reason: str) -> None:
        """End the session: stop everything, tell the client, close with 1000."""
        await self.feed(io.EndRequested(reason))

    async def shutdown(self) -> None:
        """The server is stopping: cancel work, close the socket (1001), keep REST status."""
        await self.feed(io.Shutdown())

    # --- running the machine ----------------------------------------------------------

    async def feed(self, item: io.Input) -> None:
        """Give the machine one input and run its commands (one input at a time)."""
        async with self._lock:
            pending: list[io.Input] = [item]
            while pending:
                for command in self.machine.handle(pending.pop(0), now=time.monotonic()):
                    follow = await self._run(command)
                    if follow is not None:
                        pending.append(follow)
            if self.machine.ended:
                self._stop_all()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = self._loop.create_task(self._reporting(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _reporting(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not take the session down silently
            log.exception("session %s: a worker failed", self.info.session_id)
            await self.failed(exc)

    async def _run(self, command: io.Command) -> io.Input | None:
        match command:
            case io.Emit(event=event):
                await self.out.emit(event)
            case io.Fail(error=error):
                await self.out.error(error)
            case io.SaveState(turns_used=turns_used, greeted=greeted):
                self._store.save_state(
                    self.info.session_id,
                    resume_token=self.log.resume_token,
                    turns_used=turns_used,
                    greeted=greeted,
                )
            case io.PrepareBrain():
                await self._prepare_brain()
            case io.ConfigureListener(settings=settings):
                self.listener.configure(settings)
            case io.CutAudio(event_id=event_id):
                return io.AudioCut(self.listener.commit(), event_id=event_id)
            case io.ClearAudio():
                self.listener.clear()
            case io.Transcribe(job=job, audio=audio):
                self._jobs[job] = self._spawn(self._transcribe(job, audio))
            case io.ListenAhead():  # one at a time in the server: the gate
                self._spawn(self._listen_ahead(command))
            case io.CancelTranscribe(job=job):
                if (task := self._jobs.pop(job, None)) is not None:
                    task.cancel()
            case io.StartBrain(stream=stream, history=history, allow_tools=allow):
                self._start_brain(stream, history, allow_tools=allow)
            case io.CancelBrain(stream=stream):
                if (running := self._brains.pop(stream, None)) is not None:
                    running[1].set()
                    running[0].cancel()
            case io.SetTimer():
                self._set_timer(command)
            case io.CancelTimer(key=key):
                if (handle := self._timers.pop(key, None)) is not None:
                    handle.cancel()
            case io.MarkEnded(reason=reason):
                await self._mark_ended(reason)
            case io.Close(code=code, reason=reason):
                self.out.close(code, reason)
            case _:
                self._speak(command)
        return None

    def _speak(self, command: io.Command) -> None:
        match command:
            case io.StartSpeaking(response_id=rid):
                agent = self.info.agent
                speaker = self._speakers[rid] = Speaker(
                    command,
                    tts=self._engines.tts_for(agent.voice_id, agent.language),
                    voice_id=agent.voice_id,
                    language=agent.language,
                    send_audio=self.out.send_audio,
                    feed=self.feed,
                    pool=self._pool,
                    lead_s=self.options.lead_s,
                    on_synthesized=lambda: self._spawn(self._prepare_next_turn()),
                )
                speaker.task = self._spawn(speaker.run())
                speaker.task.add_done_callback(lambda _: self._speakers.pop(rid, None))
            case io.Speak(response_id=rid, text=text) if rid in self._speakers:
                self._speakers[rid].say(text)
            case io.ReleaseSpeaking(response_id=rid) if rid in self._speakers:
                self._speakers[rid].release()
            case io.FinishSpeaking(response_id=rid) if rid in self._speakers:
                self._speakers[rid].finish()
            case io.StopSpeaking(response_id=rid) if rid in self._speakers:
                self._speakers.pop(rid).stop()

    # --- engines and timers -----------------------------------------------------------

    async def _blocking(self, call: Callable[[], Any]) -> Any:
        return await self._loop.run_in_executor(self._pool, call)

    async def _prepare_brain(self) -> None:
        """Let the brain read the system prompt while the user speaks their first turn."""
        request = self.info.agent.brain_request(self.info.session_id)
        prepare = functools.partial(self._engines.brain.prepare, request)
        try:
            await self._blocking(prepare)
        except Exception:  # only a head start: the first turn works without it
            log.exception("preparing the brain for %s failed", self.info.session_id)

    async def _prepare_next_turn(self) -> None:
        """The reply is synthesized: let the brain read up to the user's next words."""
        prepare = functools.partial(self._engines.brain.prepare_next_turn, self.info.session_id)
        try:
            await self._blocking(prepare)
        except Exception:  # only a head start: the next turn works without it
            log.exception("preparing the next turn of %s failed", self.info.session_id)

    async def _listen_ahead(self, ahead: io.ListenAhead) -> None:
        """Transcribe the speech so far and let the brain read it, so the turn, when it
        ends, evaluates only its last words. One at a time in the whole server, and only
        while the engines have nothing else to do: on two cores its work would slow the
        replies of other sessions (measured: 4 sessions speaking at once, 4.2x one
        session with it, 2.9x without)."""
        gate = self._engines.ahead_gate
        if not self._engines.brain.reads_ahead or not self._engines.idle():
            return
        if not gate.acquire(blocking=False):
            return
        agent = self.info.agent
        try:
            transcribe = functools.partial(
                self._engines.stt.transcribe_ahead,
                ahead.audio,
                language=agent.language,
                hints=stt_hints(agent.tools),
            )
            heard = heard_so_far(str(await self._blocking(transcribe)))
            if heard is None or self._engines.brain.busy or not self._still(ahead):
                return  # a turn began meanwhile, or another's reply is being written
            request = agent.brain_request(self.info.session_id, ahead.history)
            listen = functools.partial(self._engines.brain.listen_ahead, request, heard)
            await self._blocking(listen)
        except Exception:  # only a head start: the turn works without it
            log.exception("listening ahead in %s failed", self.info.session_id)
        finally:
            gate.release()

    def _still(self, ahead: io.ListenAhead) -> bool:
        """Whether the session is where it was when ``ahead`` was asked for."""
        return self.machine.quiet and len(self.machine.history) == ahead.mark

    async def _transcribe(self, job: int, audio: Float32Audio) -> None:
        started = time.monotonic()
        agent = self.info.agent
        try:
            text = await self._blocking(
                functools.partial(
                    self._engines.stt.transcribe,
                    audio,
                    language=agent.language,
                    hints=stt_hints(agent.tools),
                )
            )
        except Exception as exc:
            log.exception("session %s: transcription failed", self.info.session_id)
            await self.feed(io.TranscribeFailed(job, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self._jobs.pop(job, None)
        await self.feed(io.Transcribed(job, str(text), (time.monotonic() - started) * 1000))

    def _start_brain(self, stream: str, history: list[Message], *, allow_tools: bool) -> None:
        request = self.info.agent.brain_request(
            self.info.session_id, history, allow_tools=allow_tools
        )
        start = functools.partial(self._engines.brain.respond, request)
        stop = threading.Event()
        task = self._spawn(read_brain(stream, start, feed=self.feed, pool=self._pool, stop=stop))
        self._brains[stream] = (task, stop)
        task.add_done_callback(lambda _: self._brains.pop(stream, None))

    def _set_timer(self, command: io.SetTimer) -> None:
        key = command.key
        if (old := self._timers.pop(key, None)) is not None:
            old.cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self._spawn(self.feed(io.TimerFired(key)))

        self._timers[key] = self._loop.call_later(command.delay_s, fire)

    async def _mark_ended(self, reason: str) -> None:
        # REST says "ended" before the client hears it: a client that reconnects the
        # moment its socket closes is refused (4010), never given a fresh runtime.
        if self._on_ended is None:
            return
        try:
            await self._on_ended(self.info.session_id, reason)
        except Exception:
            log.exception("could not mark session %s ended", self.info.session_id)

    def _stop_all(self) -> None:
        """The session ended: no worker or timer of it may run on."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for speaker in self._speakers.values():
            speaker.stop()
        self._speakers.clear()
        for task, stop in self._brains.values():
            stop.set()
            task.cancel()
        self._brains.clear()
        current = asyncio.current_task()
        for task in list(self._jobs.values()) + list(self._tasks):
            if task is not current:
                task.cancel()
        self._jobs.clear()
