"""The live state of one voice session: turns, responses, tools, limits and resume.

A runtime outlives its connections: when the socket drops mid-reply the reply goes on
(its events are logged, its audio is dropped) and a client that reconnects with
``last_seq`` gets what it missed. Every event goes through ``emit``, which numbers it,
files it in SQLite and queues it on the live connection, if any.

Example (what the endpoint does)::

    runtime = SessionRuntime(info, engines=engines, store=store)
    await runtime.attach(Connection(websocket), last_seq=None, resume_token=None)
    await runtime.on_text('{"type": "input.text", "text": "hello"}')
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.protocol.events import decode_client_event
from nur_notebook.protocol.frames import FrameKind, decode_frame
from nur_notebook.protocol.replay import ReplayLog
from nur_notebook.protocol.settings import (
    SessionSettings,
    TurnDetection,
    apply_update,
    split_prompt,
)
from nur_notebook.server.pipeline.base import Float32Audio
from nur_notebook.server.realtime.connection import Connection
from nur_notebook.server.realtime.engines import SessionEngines
from nur_notebook.server.realtime.history import History
from nur_notebook.server.realtime.limits import FloodGuard
from nur_notebook.server.realtime.listener import Listener, SpeechStart, SpeechStop
from nur_notebook.server.realtime.outbox import Outbox
from nur_notebook.server.realtime.profile import RuntimeOptions, SessionInfo, describe_session
from nur_notebook.server.realtime.responder import Responder, TurnTimings
from nur_notebook.server.realtime.tools import ToolCalls
from nur_notebook.server.realtime.transcripts import TranscriptStore

log = logging.getLogger(__name__)

EndedCallback = Callable[[str, str], Awaitable[None]]


class SessionRuntime:
    """One session's conversation; the endpoint attaches connections to it."""

    def __init__(
        self,
        info: SessionInfo,
        *,
        engines: SessionEngines,
        store: TranscriptStore,
        options: RuntimeOptions | None = None,
        on_ended: EndedCallback | None = None,
    ) -> None:
        self.info = info
        self.options = options = options or RuntimeOptions()
        self._engines = engines
        self._store = store
        self._on_ended = on_ended
        self.settings = SessionSettings(
            turn_detection=TurnDetection(silence_ms=options.silence_ms),
            tool_timeout_ms=options.tool_timeout_ms,
        )
        self.out = Outbox(info.session_id, store=store)
        self.history = History()
        self.turns_used = 0
        self.greeted = False
        saved = store.load_state(info.session_id)
        if saved is not None:  # the server restarted: carry on numbering and resuming
            token, self.turns_used, self.greeted = saved
            self.history.rebuild(self.out.restore(token))
        self.tools = ToolCalls()
        self.listener = Listener(engines.vad.fresh(), self.settings.turn_detection)
        self._events = FloodGuard(options.event_limit, what="events", strikes=options.flood_strikes)
        self._audio = FloodGuard(
            options.audio_limit, what="audio frames", strikes=options.flood_strikes
        )
        self._responder: Responder | None = None
        self._response_task: asyncio.Task[Any] | None = None
        self._turn_task: asyncio.Task[None] | None = None
        self._turn_token = 0
        self._generation = 0
        self.ended: str | None = None
        self._expiry = asyncio.get_running_loop().create_task(self._expire())

    # --- connections ----------------------------------------------------------------

    async def attach(
        self, conn: Connection, *, last_seq: int | None, resume_token: str | None
    ) -> None:
        """Make ``conn`` the live connection (replacing any other); replay on resume."""
        replay = self.out.connect(conn, last_seq=last_seq, token=resume_token)
        if last_seq is not None:
            await self.emit(ev.SessionResumed(last_seq=last_seq, replayed=len(replay)))
        else:
            session = describe_session(self.info, self.settings, turns_used=self.turns_used)
            await self.emit(ev.SessionCreated(session=session, resume_token=self.log.resume_token))
            if self.turns_used == 0:
                await self._prepare_brain()
        self._save_state()
        if not self.greeted and self.info.initial_message:
            self.greeted = True
            self._save_state()
            self._start_turn(text=None, audio=None, fixed=self.info.initial_message)

    async def _prepare_brain(self) -> None:
        """Let the brain read the system prompt while the user speaks their first turn."""
        agent = self.info.agent
        try:
            await asyncio.to_thread(
                self._engines.brain.prepare,
                system_prompt=agent.system_prompt,
                tools=agent.tools,
                language=agent.language,
                session=self.info.session_id,
            )
        except Exception:  # only a head start: the first turn works without it
            log.exception("preparing the brain for %s failed", self.info.session_id)

    def detach(self, conn: Connection) -> None:
        self.out.disconnect(conn)

    @property
    def log(self) -> ReplayLog:
        return self.out.log

    async def emit(self, event: Any) -> None:
        await self.out.emit(event)

    async def error(self, exc: ProtocolError) -> None:
        await self.out.error(exc)

    # --- input ------------------------------------------------------------------------

    async def _admitted(self, guard: FloodGuard) -> bool:
        match guard.admit():
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
        """One text frame from the client."""
        if self.ended:
            return
        if not await self._admitted(self._events):
            return
        try:
            event = decode_client_event(raw)
            await self._dispatch(event)
        except ProtocolError as exc:
            await self.error(exc)

    async def _dispatch(self, event: ev.ClientEvent) -> None:
        match event:
            case ev.SessionUpdate(session=patch):
                self.settings = apply_update(self.settings, patch)
                _rest, prompt = split_prompt(patch)
                if prompt is not None:  # the next reply reads the new prompt
                    agent = replace(self.info.agent, system_prompt=prompt)
                    self.info = replace(self.info, agent=agent)
                self.listener.configure(self.settings.turn_detection)
                await self.emit(
                    ev.SessionUpdated(
                        session=describe_session(
                            self.info, self.settings, turns_used=self.turns_used
                        )
                    )
                )
            case ev.InputText(text=text):
                if not text.strip():
                    raise ProtocolError(ErrorCode.INVALID_EVENT, "input.text: 'text' is empty")
                self._start_turn(text=text.strip(), audio=None, turn_end=time.monotonic())
            case ev.InputAudioCommit(event_id=event_id):
                audio = self.listener.commit()
                if audio is None or audio.size == 0:
                    raise ProtocolError(
                        ErrorCode.INVALID_STATE,
                        "input_audio.commit: no audio since the last turn",
                        event_id=event_id,
                    )
                self._start_turn(text=None, audio=audio, turn_end=time.monotonic())
            case ev.InputAudioClear():
                self.listener.clear()
                await self.emit(ev.InputAudioCleared())
            case ev.ResponseCancel():
                await self.interrupt("cancelled")
            case ev.SessionEnd():
                await self.end("client_ended")
            case ev.ToolResult(call_id=call_id, output=output, is_error=is_error, event_id=eid):
                self.tools.deliver(call_id, output=output, is_error=is_error, event_id=eid)
            case ev.Ping(event_id=event_id):
                await self.emit(ev.Pong(event_id=event_id))

    async def on_bytes(self, raw: bytes) -> None:
        """One binary frame (user audio) from the client."""
        if self.ended:
            return
        if not await self._admitted(self._audio):
            return
        try:
            frame = decode_frame(raw, expect=FrameKind.INPUT)
        except ProtocolError as exc:
            await self.error(exc)
            return
        for happened in self.listener.feed(frame.pcm):
            match happened:
                case SpeechStart(audio_ms=audio_ms):
                    await self.emit(ev.SpeechStarted(audio_ms=audio_ms))
                case SpeechStop(audio_ms=audio_ms, utterance=utterance, ended_at=ended_at):
                    await self.emit(ev.SpeechStopped(audio_ms=audio_ms))
                    if utterance is not None:
                        self._start_turn(text=None, audio=utterance, turn_end=ended_at)
        await self._maybe_barge_in()

    async def _maybe_barge_in(self) -> None:
        responder = self._responder
        if (
            responder is not None
            and responder.stop_status is None
            and self.listener.speaking
            and self.listener.speech_ms() >= self.settings.turn_detection.interrupt_min_ms
        ):
            await self.interrupt("interrupted")

    # --- turns ------------------------------------------------------------------------

    def _start_turn(
        self,
        *,
        text: str | None,
        audio: Float32Audio | None,
        turn_end: float | None = None,
        fixed: str | None = None,
    ) -> None:
        self._turn_token += 1
        previous = self._turn_task
        self._turn_task = asyncio.get_running_loop().create_task(
            self._run_turn(self._turn_token, previous, text, audio, turn_end, fixed)
        )

    async def interrupt(self, status: str) -> None:
        """Stop the response in progress (barge-in or ``response.cancel``)."""
        responder, task = self._responder, self._response_task
        if responder is None or task is None or task.done() or responder.stop_status:
            return
        responder.stop_status = "interrupted" if status == "interrupted" else "cancelled"
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run_turn(self, *args: Any) -> None:
        try:
            await self._turn(*args)
        except Exception as exc:  # an engine failed: tell the client; the session survives
            log.exception("session %s: a turn failed", self.info.session_id)
            await self.error(
                ProtocolError(
                    ErrorCode.INTERNAL_ERROR,
                    f"the turn failed: {type(exc).__name__}: {exc}",
                    close_code=CloseCode.INTERNAL_ERROR,
                )
            )

    async def _turn(
        self,
        token: int,
        previous: asyncio.Task[None] | None,
        text: str | None,
        audio: Float32Audio | None,
        turn_end: float | None,
        fixed: str | None,
    ) -> None:
        await self.interrupt("interrupted")
        if previous is not None and not previous.done():
            with contextlib.suppress(Exception):
                await previous
        timings = TurnTimings(turn_end=turn_end)
        if audio is not None:
            started = time.monotonic()
            text = await asyncio.to_thread(
                self._engines.stt.transcribe, audio, language=self.info.agent.language
            )
            timings.stt_ms = (time.monotonic() - started) * 1000
            text = text.strip()
            if not text:
                log.info("session %s: a turn with no words was dropped", self.info.session_id)
                return
        if token != self._turn_token or self.ended:
            return  # a newer turn started meanwhile
        turn = self.turns_used
        if text is not None:
            self.turns_used += 1
            turn = self.turns_used
            self._save_state()
            self.history.add_user(text)
            await self.emit(ev.TranscriptUserFinal(turn=turn, text=text))
        responder = await self._respond(turn, fixed=fixed, timings=timings)
        if text is not None:
            await self.emit(responder.timings.metrics_event(turn))
        if self.turns_used >= self.info.agent.max_turns and text is not None:
            if responder.stop_status is None:
                await self._respond(turn, fixed=self.info.agent.goodbye(), timings=TurnTimings())
            await self.end("max_turns")

    async def _respond(self, turn: int, *, fixed: str | None, timings: TurnTimings) -> Responder:
        self._generation = (self._generation + 1) & 0xFFFF
        responder = Responder(
            response_id="rsp_" + secrets.token_hex(8),
            session_id=self.info.session_id,
            turn=turn,
            generation=self._generation,
            engines=self._engines,
            agent=self.info.agent,
            history=self.history,
            tools=self.tools,
            tool_timeout_s=self.settings.tool_timeout_ms / 1000,
            output_rate=self.settings.output_sample_rate,
            emit=self.emit,
            send_audio=self.out.send_audio,
            lead_s=self.options.lead_s,
        )
        responder.timings = replace(timings)
        self._responder = responder
        self._response_task = asyncio.get_running_loop().create_task(
            responder.run(fixed_text=fixed)
        )
        result = await asyncio.shield(self._response_task)
        self.history.add_agent(result.text)
        return responder

    # --- the end ----------------------------------------------------------------------

    async def _expire(self) -> None:
        delay = (self.info.expires_at - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, delay))
        await self.end("expired")

    async def end(self, reason: str) -> None:
        """End the session: stop everything, tell the client, close with 1000."""
        if self.ended:
            return
        self.ended = reason
        current = asyncio.current_task()
        await self.interrupt("cancelled")
        self.tools.cancel_all()
        for task in (self._turn_task, self._expiry):
            if task is not None and task is not current and not task.done():
                task.cancel()
        # REST says "ended" before the client hears it: a client that reconnects the
        # moment its socket closes is refused (4010), never given a fresh runtime.
        if self._on_ended is not None:
            try:
                await self._on_ended(self.info.session_id, reason)
            except Exception:
                log.exception("could not mark session %s ended", self.info.session_id)
        await self.emit(ev.SessionEnded(reason=reason))  # type: ignore[arg-type]
        self.out.close(CloseCode.NORMAL, f"session ended: {reason}")

    def _save_state(self) -> None:
        self._store.save_state(
            self.info.session_id,
            resume_token=self.log.resume_token,
            turns_used=self.turns_used,
            greeted=self.greeted,
        )

    async def shutdown(self) -> None:
        """The server is stopping: cancel work, close the socket (1001), keep REST status."""
        self.ended = self.ended or "shutdown"
        await self.interrupt("cancelled")
        self.tools.cancel_all()
        for task in (self._turn_task, self._expiry):
            if task is not None and not task.done():
                task.cancel()
        self.out.close(1001, "server shutting down")
