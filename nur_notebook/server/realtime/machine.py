"""The session machine: every decision of a live session, with no I/O (sans-I/O).

``SessionMachine.handle(input, now=...)`` takes one thing that happened and returns the
commands to run; the asyncio driver (``runtime.SessionRuntime``) runs them with the real
engines, socket and SQLite and feeds their results back in. Nothing here awaits, sleeps,
starts a thread or reads a clock, so the tests drive it with scripted inputs.

    inputs                                    commands
    ------                                    --------
    Started, Attached                    -->  Emit(session.created | resumed), SaveState,
                                              PrepareBrain, SetTimer("expiry")
    ClientEventIn (the one door for      -->  Emit(...), Fail(error), ConfigureListener,
      every decoded client event)             CutAudio / ClearAudio
    SpeechStart, SpeechStop, HeardSpeaking -> Emit(speech events), barge-in
    SpeechPause, SpeechResume            -->  speculative turn: Transcribe + StartBrain,
                                              output held until SpeechStop (or dropped)
    SpeechProgress                       -->  ListenAhead (the brain reads the words so
                                              far; nothing recorded)
    AudioCut, Transcribed                -->  Transcribe / CancelTranscribe
    BrainSaid, BrainDecided, BrainDone   -->  StartBrain / CancelBrain, Speak
    SegmentStarted, AudioSent, PlayoutDone -> StartSpeaking / FinishSpeaking / StopSpeaking
    TimerFired (expiry, tool deadlines)  -->  SetTimer / CancelTimer
    EndRequested, Shutdown               -->  MarkEnded, Emit(session.ended), Close

Turns run one at a time, in the order they ended. A new turn interrupts the reply in
progress; a turn whose transcript arrives while a newer turn waits is recorded (it was
said) but not answered. After ``max_turns`` user turns the agent says goodbye and the
session ends. Replies (brain rounds, tools, barge-in) are ``response.Response``.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Literal

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.protocol.settings import (
    SessionSettings,
    TurnDetection,
    apply_update,
    split_prompt,
)
from nur_notebook.server.pipeline.base import Float32Audio
from nur_notebook.server.pipeline.grounding import ungrounded_arguments
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.history import History
from nur_notebook.server.realtime.profile import RuntimeOptions, SessionInfo, describe_session
from nur_notebook.server.realtime.response import Response, ResponseContext, Turn, TurnTimings
from nur_notebook.server.realtime.tools import ToolCalls, new_call_id

EXPIRY = "expiry"


def new_response_id() -> str:
    return "rsp_" + secrets.token_hex(8)


class SessionMachine:
    """The decisions of one session; see the module docstring."""

    def __init__(
        self,
        info: SessionInfo,
        *,
        options: RuntimeOptions | None = None,
        turns_used: int = 0,
        greeted: bool = False,
        history: History | None = None,
        new_id: Callable[[], str] = new_response_id,
        call_id: Callable[[], str] = new_call_id,
    ) -> None:
        self.info = info
        self.options = options = options or RuntimeOptions()
        self.settings = SessionSettings(
            turn_detection=TurnDetection(silence_ms=options.silence_ms),
            tool_timeout_ms=options.tool_timeout_ms,
        )
        self.turns_used = turns_used
        self.greeted = greeted
        self.history = history or History()
        self.tools = ToolCalls()
        self.ended: str | None = None
        self.now = 0.0
        self._new_id = new_id
        self._call_id = call_id
        self._queue: deque[Turn] = deque()
        self._turn: Turn | None = None
        self._response: Response | None = None
        self._generation = 0
        self._job = 0

    @property
    def response(self) -> Response | None:
        """The reply in progress, if any."""
        return self._response

    def handle(self, item: io.Input, *, now: float) -> list[io.Command]:
        """Apply one input (``now``: the driver's monotonic clock); the commands to run."""
        self.now = now
        if self.ended is not None:
            return [io.Close(1001, "server shutting down")] if isinstance(item, io.Shutdown) else []
        match item:
            case io.Started(expires_in_s=delay):
                return [io.SetTimer(EXPIRY, max(0.0, delay))]
            case io.Attached():
                return self._attached(item)
            case io.ClientEventIn(event=event):
                try:
                    return self._client(event)
                except ProtocolError as exc:
                    return [io.Fail(exc)]
            case io.TimerFired(key=key) if key == EXPIRY:
                return self._end("expired")
            case io.EndRequested(reason=reason):
                return self._end(reason)
            case io.Shutdown():
                return self._end("shutdown", final=False)
        return self._work(item)

    # --- connections and client events -----------------------------------------------

    def _describe(self) -> dict[str, object]:
        return describe_session(self.info, self.settings, turns_used=self.turns_used)

    def _save(self) -> io.SaveState:
        return io.SaveState(turns_used=self.turns_used, greeted=self.greeted)

    def _attached(self, item: io.Attached) -> list[io.Command]:
        out: list[io.Command] = []
        acked = item.client_seq
        if item.last_seq is not None:
            resumed = ev.SessionResumed(
                last_seq=item.last_seq, replayed=item.replayed, client_seq=acked
            )
            out.append(io.Emit(resumed))
        else:
            session, token = self._describe(), item.resume_token
            created = ev.SessionCreated(session=session, resume_token=token, client_seq=acked)
            out.append(io.Emit(created))
            if self.turns_used == 0:
                out.append(io.PrepareBrain())
        out.append(self._save())
        if not self.greeted and self.info.initial_message:
            self.greeted = True
            out.append(self._save())
            out += self._enqueue(Turn(fixed=self.info.initial_message, number=self.turns_used))
        return out

    def _client(self, event: ev.ClientEvent) -> list[io.Command]:
        match event:
            case ev.SessionUpdate(session=patch):
                self.settings = apply_update(self.settings, patch)
                _rest, prompt = split_prompt(patch)
                if prompt is not None:  # the next reply reads the new prompt
                    agent = replace(self.info.agent, system_prompt=prompt)
                    self.info = replace(self.info, agent=agent)
                return [
                    io.ConfigureListener(self.settings.turn_detection),
                    io.Emit(ev.SessionUpdated(session=self._describe())),
                ]
            case ev.InputText(text=text):
                if not text.strip():
                    raise ProtocolError(ErrorCode.INVALID_EVENT, "input.text: 'text' is empty")
                return self._enqueue(
                    Turn(text=text.strip(), timings=TurnTimings(turn_end=self.now))
                )
            case ev.InputAudioCommit(event_id=event_id):
                return [io.CutAudio(event_id=event_id)]
            case ev.InputAudioClear():
                return [io.ClearAudio(), io.Emit(ev.InputAudioCleared())]
            case ev.ResponseCancel():
                return self._interrupt("cancelled")
            case ev.SessionEnd():
                return self._end("client_ended")
            case ev.ToolResult(call_id=call_id, output=output, is_error=is_error, event_id=eid):
                outcome = self.tools.deliver(
                    call_id, output=output, is_error=is_error, event_id=eid, now=self.now
                )
                response = self._response
                if response is None or response.waiting_call != call_id:
                    return []
                return self._respond(response.tool_outcome(outcome))
            case ev.Ping(event_id=event_id):
                return [io.Emit(ev.Pong(event_id=event_id))]
        return []

    # --- work results ------------------------------------------------------------------

    def _work(self, item: io.Input) -> list[io.Command]:
        response, turn = self._response, self._turn
        match item:
            case io.SpeechStart(audio_ms=audio_ms):
                return [io.Emit(ev.SpeechStarted(audio_ms=audio_ms))]
            case io.SpeechPause(utterance=utterance, ended_at=ended_at):
                return self._speculate(utterance, ended_at)
            case io.SpeechResume():
                return self._drop_speculation()
            case io.SpeechProgress(utterance=utterance):
                return self._listen_ahead(utterance)
            case io.SpeechStop(audio_ms=audio_ms, utterance=utterance, ended_at=ended_at):
                stopped: list[io.Command] = [io.Emit(ev.SpeechStopped(audio_ms=audio_ms))]
                if turn is not None and turn.held is not None:
                    return stopped + self._confirm(turn)
                if utterance is None:
                    return stopped
                return stopped + self._enqueue(
                    Turn(audio=utterance, timings=TurnTimings(turn_end=ended_at))
                )
            case io.HeardSpeaking(speech_ms=speech_ms):
                if speech_ms >= self.settings.turn_detection.interrupt_min_ms:
                    return self._interrupt("interrupted")
            case io.AudioCut(audio=audio, event_id=event_id):
                if audio is None or audio.size == 0:
                    message = "input_audio.commit: no audio since the last turn"
                    error = ProtocolError(ErrorCode.INVALID_STATE, message, event_id=event_id)
                    return [io.Fail(error)]
                return self._enqueue(Turn(audio=audio, timings=TurnTimings(turn_end=self.now)))
            case io.Transcribed(job=job, text=text, stt_ms=stt_ms):
                if turn is not None and turn.job == job:
                    turn.job = None
                    turn.timings.record("stt_ms", stt_ms)
                    return self._transcribed(turn, text.strip())
            case io.TranscribeFailed(job=job, error=error):
                if turn is not None and turn.job == job:
                    self._turn = None
                    if turn.held is not None:  # SpeechStop will bring the utterance again
                        return []
                    failure = ProtocolError(
                        ErrorCode.INTERNAL_ERROR,
                        f"the turn failed: {error}",
                        close_code=CloseCode.INTERNAL_ERROR,
                    )
                    return [io.Fail(failure), *self._advance()]
            case io.TimerFired(key=key) if response is not None and key.startswith("tool:"):
                call_id = key.removeprefix("tool:")
                if response.waiting_call == call_id:
                    limit = self.settings.tool_timeout_ms / 1000
                    outcome = self.tools.expire(call_id, limit_s=limit, now=self.now)
                    if outcome is not None:
                        return self._respond(response.tool_outcome(outcome))
            case _ if response is not None:
                return self._respond(response.handle(item))
        return []

    # --- turns -------------------------------------------------------------------------

    def _enqueue(self, turn: Turn) -> list[io.Command]:
        out = self._drop_speculation()
        out += self._interrupt("interrupted")
        self._queue.append(turn)
        return out + self._advance()

    def _advance(self) -> list[io.Command]:
        """Start the next waiting turn, if none is running."""
        out: list[io.Command] = []
        while self._turn is None and self._queue and self.ended is None:
            turn = self._turn = self._queue.popleft()
            if turn.fixed is not None:
                out += self._start_response(turn, fixed=turn.fixed)
            elif turn.text is not None:
                out += self._transcribed(turn, turn.text)
            elif turn.audio is not None:
                out += self._transcribe(turn)
        return out

    def _transcribe(self, turn: Turn) -> list[io.Command]:
        assert turn.audio is not None
        self._job += 1
        turn.job = self._job
        return [io.Transcribe(job=turn.job, audio=turn.audio)]

    def _transcribed(self, turn: Turn, text: str) -> list[io.Command]:
        if not text:  # a turn with no words: nothing was said
            self._turn = None
            return self._advance()
        turn.text = text
        turn.history_mark = len(self.history)
        self.turns_used += 1
        turn.number = self.turns_used
        self.history.add_user(text)
        out: list[io.Command] = [
            self._save(),
            io.Emit(ev.TranscriptUserFinal(turn=turn.number, text=text)),
        ]
        if self._queue and self.turns_used < self.info.agent.max_turns:
            self._turn = None  # a newer turn waits: it gets the answer
            return self._out(turn, out) + self._advance()
        return self._out(turn, out) + self._start_response(turn, fixed=None)

    def _start_response(self, turn: Turn, *, fixed: str | None) -> list[io.Command]:
        self._generation = (self._generation + 1) & 0xFFFF
        ctx = ResponseContext(
            history=self.history,
            tools=self.tools,
            clock=lambda: self.now,
            tool_timeout_s=self.settings.tool_timeout_ms / 1000,
            output_rate=self.settings.output_sample_rate,
            lead_s=self.options.lead_s,
            first_clause_words=self.options.first_clause_words,
            new_call_id=self._call_id,
            unsaid=partial(
                ungrounded_arguments,
                known=self.info.agent.system_prompt,
                tools=self.info.agent.tools,
            ),
        )
        response = Response(
            ctx, response_id=self._new_id(), turn=turn.number, generation=self._generation
        )
        if not turn.goodbye:
            response.timings = replace(turn.timings)
        self._response = response
        return self._respond(response.start(fixed_text=fixed, hold=turn.held is not None))

    def _respond(self, commands: list[io.Command]) -> list[io.Command]:
        """Commands of the current reply; when it has finished, what the turn does next."""
        response, turn = self._response, self._turn
        assert response is not None
        assert turn is not None
        out = self._out(turn, commands)
        if response.result is None:
            return out
        if turn.held is not None:
            turn.finished_while_held = True
            return out
        return out + self._response_finished(turn, response)

    def _response_finished(self, turn: Turn, response: Response) -> list[io.Command]:
        assert response.result is not None
        self._response = None
        self.history.add_agent(response.result.text)
        out: list[io.Command] = []
        user_turn = turn.text is not None
        if user_turn and not turn.goodbye:
            out.append(io.Emit(response.timings.metrics_event(turn.number)))
        if user_turn and self.turns_used >= self.info.agent.max_turns:
            if turn.goodbye or response.result.status in ("interrupted", "cancelled"):
                return out + self._end("max_turns")
            turn.goodbye = True
            return out + self._start_response(turn, fixed=self.info.agent.goodbye())
        self._turn = None
        return out + self._advance()

    def _interrupt(self, status: Literal["interrupted", "cancelled"]) -> list[io.Command]:
        """Stop the audible reply in progress (barge-in, ``response.cancel``, a new turn)."""
        response, turn = self._response, self._turn
        if response is None or turn is None or turn.held is not None:
            return []
        return self._respond(response.stop(status))

    # --- speculation -------------------------------------------------------------------

    def _out(self, turn: Turn, commands: list[io.Command]) -> list[io.Command]:
        """``commands``, minus what a held turn must keep to itself until it is confirmed."""
        if turn.held is None:
            return commands
        turn.held += [c for c in commands if not isinstance(c, io.EngineWork)]
        return [c for c in commands if isinstance(c, io.EngineWork)]

    def _speculate(self, utterance: Float32Audio, ended_at: float) -> list[io.Command]:
        """A short pause: start on the turn now, show nothing until the silence is long
        enough to end it (``SpeechStop``)."""
        if not self.quiet or utterance.size == 0 or not self._vad_turns:
            return []
        self._turn = Turn(audio=utterance, timings=TurnTimings(turn_end=ended_at), held=[])
        return self._transcribe(self._turn)

    @property
    def quiet(self) -> bool:
        """No turn is being answered or waits, and the session goes on: what the user
        says now becomes the next turn."""
        busy = self._turn is not None or self._queue or self._response is not None
        return not busy and self.ended is None

    @property
    def _vad_turns(self) -> bool:
        return self.settings.turn_detection.mode == "server_vad"

    def _listen_ahead(self, utterance: Float32Audio) -> list[io.Command]:
        """The user is still speaking: let the brain read the words so far (a reply being
        said, or a turn waiting, goes first; push-to-talk has no such moment)."""
        if not self.quiet or utterance.size == 0 or not self._vad_turns:
            return []
        window = self.history.window(peek=True)
        return [io.ListenAhead(utterance, history=window, mark=len(self.history))]

    def _drop_speculation(self) -> list[io.Command]:
        """The user went on speaking: forget the held turn as if it never started."""
        turn, response = self._turn, self._response
        if turn is None or turn.held is None:
            return []
        out: list[io.Command] = []
        if turn.job is not None:
            out.append(io.CancelTranscribe(turn.job))
        if turn.text is not None:  # it was recorded: undo that
            self.turns_used -= 1
            self.history.truncate(turn.history_mark)
        if response is not None:
            self._generation = (self._generation - 1) & 0xFFFF
            for command in response.stop("cancelled"):
                if isinstance(command, io.CancelBrain | io.StopSpeaking):
                    out.append(command)
        self._turn = self._response = None
        return out

    def _confirm(self, turn: Turn) -> list[io.Command]:
        """The silence reached the end of turn: what the held turn did, now for real."""
        assert turn.held is not None
        out, turn.held = turn.held, None
        response = self._response
        if response is not None:  # else it is still being transcribed
            out.append(io.ReleaseSpeaking(response.response_id))
            if turn.finished_while_held:
                out += self._response_finished(turn, response)
        return out

    # --- the end -----------------------------------------------------------------------

    def _end(self, reason: str, *, final: bool = True) -> list[io.Command]:
        """Stop everything; a final end tells REST and the client, then closes with 1000."""
        out = self._drop_speculation()
        response, turn = self._response, self._turn
        if response is not None:
            out += response.stop("cancelled")
        if turn is not None and turn.job is not None:
            out.append(io.CancelTranscribe(turn.job))
        self.ended = reason
        self._response = self._turn = None
        self._queue.clear()
        for call_id in self.tools.pending:
            out.append(io.CancelTimer(f"tool:{call_id}"))
        self.tools.cancel_all()
        out.append(io.CancelTimer(EXPIRY))
        if not final:
            return [*out, io.Close(1001, "server shutting down")]
        return [
            *out,
            io.MarkEnded(reason),
            io.Emit(ev.SessionEnded(reason=reason)),  # type: ignore[arg-type]
            io.Close(CloseCode.NORMAL, f"session ended: {reason}"),
        ]
