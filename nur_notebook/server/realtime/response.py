"""One agent response as pure state: brain rounds, tool calls, sentences, what was heard.

The session machine creates a ``Response`` per reply and forwards the inputs that
concern it; each method returns the commands to run. A response asks for a brain
stream, cuts its pieces into sentences for the speaker, makes at most
``MAX_TOOL_ROUNDS`` rounds of tool calls (refusing, as a tool result only the brain
sees, a call whose ID-like arguments nobody said), and finishes when its audio has
played out, or at once when stopped (barge-in, ``response.cancel``, a new turn, the
end): then the agent's transcript keeps only what was played.

    start -> StartBrain ... BrainSaid* -> Speak* ... BrainDone -> FinishSpeaking
          ... PlayoutDone -> finished ("completed")
    BrainDecided + BrainDone -> ToolCall event + tool timer ... outcome -> StartBrain
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import ErrorCode
from nur_notebook.server.pipeline.base import Float32Audio, Message, ToolCallDecision
from nur_notebook.server.pipeline.grounding import ungrounded_arguments
from nur_notebook.server.pipeline.text import SentenceSplitter
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.audio_out import PlayoutClock
from nur_notebook.server.realtime.history import History
from nur_notebook.server.realtime.tools import ToolCalls, ToolOutcome, new_call_id

Status = Literal["completed", "interrupted", "cancelled", "failed"]

#: Rounds of tool calls one response may make before it must answer.
MAX_TOOL_ROUNDS = 3


@dataclass
class TurnTimings:
    """Stage times of one turn: ``stages`` maps a key of ``metrics.turn``
    (``ev.METRIC_KEYS``, the one list of them) to milliseconds; a stage that did not run
    is missing. The voice-to-voice time is worked out from ``turn_end`` and
    ``first_audio_at`` (monotonic seconds: when the user stopped speaking or sent text,
    and when the reply's first audio went out)."""

    turn_end: float | None = None
    first_audio_at: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    tool_calls: list[str] = field(default_factory=list)

    def record(self, stage: str, ms: float) -> None:
        """Record ``stage`` (a key of ``metrics.turn``)."""
        if stage not in ev.METRIC_KEYS:
            raise ValueError(f"unknown stage {stage!r}; one of {', '.join(ev.METRIC_KEYS)}")
        self.stages[stage] = ms

    def first(self, stage: str, ms: float) -> None:
        """Record ``stage`` unless it already was (the first token, sentence, audio)."""
        if stage not in self.stages:
            self.record(stage, ms)

    def add(self, stage: str, ms: float) -> None:
        """Add ``ms`` to ``stage`` (the time of every tool call of the turn)."""
        self.record(stage, self.stages.get(stage, 0.0) + ms)

    def voice_to_voice_ms(self) -> float | None:
        if self.turn_end is None or self.first_audio_at is None:
            return None
        return (self.first_audio_at - self.turn_end) * 1000

    def metrics_event(self, turn: int) -> ev.MetricsTurn:
        """The turn's ``metrics.turn`` event (milliseconds, one decimal)."""
        measured = {**self.stages, "voice_to_voice_ms": self.voice_to_voice_ms()}
        # Any: the values are all float | None, the keys exactly the event's stage fields.
        stages: dict[str, Any] = {key: _rounded(measured.get(key)) for key in ev.METRIC_KEYS}
        return ev.MetricsTurn(turn=turn, **stages)


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 1)


@dataclass
class Turn:
    """One turn waiting or in progress: typed text, an utterance, or the greeting."""

    text: str | None = None
    audio: Float32Audio | None = None
    fixed: str | None = None
    #: When the user stopped speaking (or sent text) and, once transcribed, the STT time:
    #: where its reply's timings start.
    timings: TurnTimings = field(default_factory=TurnTimings)
    job: int | None = None
    number: int = 0
    goodbye: bool = False
    #: Speculative: started on a short pause; what it says is held back (None: not held).
    held: list[io.Command] | None = None
    history_mark: int = 0
    finished_while_held: bool = False


@dataclass(frozen=True)
class ResponseResult:
    status: Status
    text: str


@dataclass(frozen=True)
class ResponseContext:
    """What every response of a session shares: its history, tool ledger and clock."""

    history: History
    tools: ToolCalls
    clock: Callable[[], float]
    tool_timeout_s: float
    output_rate: int
    lead_s: float = 0.25
    first_clause_words: int | None = 3
    new_call_id: Callable[[], str] = new_call_id
    #: The arguments of a call nobody said (``grounding.ungrounded_arguments`` with the
    #: agent's prompt and tools): the call is not run, the agent asks instead.
    unsaid: Callable[[ToolCallDecision, list[Message]], list[str]] = ungrounded_arguments


class Response:
    """One reply of the agent; see the module docstring."""

    def __init__(
        self, ctx: ResponseContext, *, response_id: str, turn: int, generation: int
    ) -> None:
        self.ctx = ctx
        self.response_id = response_id
        self.turn = turn
        self.generation = generation
        self.timings = TurnTimings()
        self.clock = PlayoutClock(lead_s=ctx.lead_s, clock=ctx.clock)
        self.result: ResponseResult | None = None
        self._splitter = SentenceSplitter(
            min_chars=12, first_clause_chars=60, first_clause_words=ctx.first_clause_words
        )
        self._generated: list[str] = []
        self._round = 0
        self._stream: str | None = None
        self._round_started = 0.0
        self._decision: ToolCallDecision | None = None
        self._tools_allowed = True
        self._call: tuple[str, str] | None = None  # (call_id, tool name) being waited for
        self._spoken = False  # at least one sentence went to the speaker

    @property
    def stream(self) -> str | None:
        """The brain stream this response is reading, if any."""
        return self._stream

    @property
    def waiting_call(self) -> str | None:
        return self._call[0] if self._call else None

    def handle(self, item: io.Input) -> list[io.Command]:
        """An engine's result for this reply (results of cancelled work are dropped)."""
        match item:
            case io.BrainSaid(stream=stream, text=text) if stream == self._stream:
                return self.brain_said(text)
            case io.BrainDecided(stream=stream, decision=decision) if stream == self._stream:
                return self.brain_decided(decision)
            case io.BrainDone(stream=stream) if stream == self._stream:
                return self.brain_done()
            case io.BrainFailed(stream=stream, error=error) if stream == self._stream:
                return self.brain_failed(error)
            case io.SegmentStarted(response_id=rid, text=text, duration_s=duration, synth_ms=ms):
                if rid == self.response_id:
                    self.segment_started(text, duration_s=duration, synth_ms=ms)
            case io.AudioSent(response_id=rid, seconds=seconds) if rid == self.response_id:
                self.audio_sent(seconds)
            case io.PlayoutDone(response_id=rid) if rid == self.response_id:
                return self.played_out()
            case io.SpeakFailed(response_id=rid, error=error) if rid == self.response_id:
                return self.speak_failed(error)
        return []

    # --- starting ---------------------------------------------------------------

    def start(self, *, fixed_text: str | None, hold: bool = False) -> list[io.Command]:
        """Speak ``fixed_text``, or let the brain answer the conversation so far."""
        out: list[io.Command] = [
            io.Emit(
                ev.ResponseStarted(
                    response_id=self.response_id, turn=self.turn, generation=self.generation
                )
            ),
            io.StartSpeaking(
                response_id=self.response_id,
                generation=self.generation,
                rate=self.ctx.output_rate,
                hold=hold,
            ),
        ]
        if fixed_text is None:
            return out + self._next_round()
        self._generated.append(fixed_text)
        out.append(io.Emit(self._delta(fixed_text)))
        out.append(io.Speak(self.response_id, fixed_text))
        self._spoken = True
        out.append(io.FinishSpeaking(self.response_id))
        return out

    def _next_round(self) -> list[io.Command]:
        allow = self._tools_allowed and self._round < MAX_TOOL_ROUNDS
        self._stream = f"{self.response_id}/{self._round}"
        self._round += 1
        self._round_started = self.ctx.clock()
        self._decision = None
        return [
            io.StartBrain(stream=self._stream, history=self.ctx.history.window(), allow_tools=allow)
        ]

    # --- the brain ----------------------------------------------------------------

    def _first_token(self) -> None:
        self.timings.first("llm_first_token_ms", (self.ctx.clock() - self._round_started) * 1000)

    def _sentences(self, sentences: list[str]) -> list[io.Command]:
        if sentences:
            since = (self.ctx.clock() - self._round_started) * 1000
            self.timings.first("llm_first_sentence_ms", since)
        self._spoken = self._spoken or bool(sentences)
        return [io.Speak(self.response_id, sentence) for sentence in sentences]

    def brain_said(self, text: str) -> list[io.Command]:
        self._first_token()
        self._generated.append(text)
        return [io.Emit(self._delta(text)), *self._sentences(self._splitter.feed(text))]

    def brain_decided(self, decision: ToolCallDecision) -> list[io.Command]:
        self._first_token()
        self._decision = decision
        return []

    def brain_done(self) -> list[io.Command]:
        self._stream = None
        decision = self._decision
        if decision is None:
            last = self._splitter.flush()
            return [*self._sentences([last] if last else []), io.FinishSpeaking(self.response_id)]
        history = self.ctx.history
        missing = self.ctx.unsaid(decision, history.messages)
        if missing:  # a made-up value: don't run the tool, make the agent ask instead
            history.add_tool_call(decision.name, decision.arguments)
            history.add_tool_result(
                decision.name,
                f"not called: the user has not said the {' and '.join(missing)} yet. "
                "Ask the user for it.",
                is_error=True,
            )
            self._tools_allowed = False
            return self._next_round()
        return self._call_tool(decision)

    def brain_failed(self, error: str) -> list[io.Command]:
        self._stream = None
        return self._failed(f"response failed: {error}")

    # --- tools ----------------------------------------------------------------------

    def _call_tool(self, decision: ToolCallDecision) -> list[io.Command]:
        call_id = self.ctx.new_call_id()
        self.ctx.history.add_tool_call(decision.name, decision.arguments)
        self.ctx.tools.open(call_id, now=self.ctx.clock())
        self._call = (call_id, decision.name)
        self.timings.tool_calls.append(decision.name)
        event = ev.ToolCall(
            call_id=call_id,
            name=decision.name,
            arguments=decision.arguments,
            response_id=self.response_id,
            turn=self.turn,
        )
        return [io.Emit(event), io.SetTimer(tool_timer(call_id), self.ctx.tool_timeout_s)]

    def tool_outcome(self, outcome: ToolOutcome) -> list[io.Command]:
        """The waited-for call got its result (or expired): tell the brain, next round."""
        assert self._call is not None
        call_id, name = self._call
        self._call = None
        self.timings.add("tool_ms", outcome.duration_ms)
        out: list[io.Command] = [io.CancelTimer(tool_timer(call_id))]
        if outcome.timed_out:
            message = (
                f"tool call {call_id} ({name}) got no result within "
                f"{self.ctx.tool_timeout_s:g} s; the agent was told it failed"
            )
            out.append(io.Emit(ev.Error(code=ErrorCode.TOOL_TIMEOUT, message=message)))
        out.append(
            io.Emit(
                ev.ToolCallCompleted(
                    call_id=call_id,
                    name=name,
                    output=outcome.output,
                    is_error=outcome.is_error,
                    duration_ms=round(outcome.duration_ms, 1),
                )
            )
        )
        self.ctx.history.add_tool_result(name, outcome.as_text(), is_error=outcome.is_error)
        return out + self._next_round()

    # --- voice ----------------------------------------------------------------------

    def segment_started(self, text: str, *, duration_s: float, synth_ms: float) -> None:
        self.clock.add_segment(text, duration_s)
        self.timings.first("tts_first_audio_ms", synth_ms)

    def audio_sent(self, seconds: float) -> None:
        self.clock.sent(seconds)
        if self.timings.first_audio_at is None:
            self.timings.first_audio_at = self.ctx.clock()

    def played_out(self) -> list[io.Command]:
        return self._finish("completed")

    def speak_failed(self, error: str) -> list[io.Command]:
        return self._failed(f"response failed: {error}")

    # --- stopping -------------------------------------------------------------------

    def stop(self, status: Literal["interrupted", "cancelled"]) -> list[io.Command]:
        """Barge-in (``interrupted``) or ``response.cancel`` / the end (``cancelled``)."""
        return self._finish(status)

    def _failed(self, message: str) -> list[io.Command]:
        error = io.Emit(ev.Error(code=ErrorCode.INTERNAL_ERROR, message=message))
        return [error, *self._finish("failed")]

    def _finish(self, status: Status) -> list[io.Command]:
        if self.result is not None:
            return []
        out: list[io.Command] = []
        if self._stream is not None:
            out.append(io.CancelBrain(self._stream))
            self._stream = None
        if status != "completed":
            out.append(io.StopSpeaking(self.response_id))
        if self._call is not None:  # only this response's call: others are not ours
            self.ctx.tools.cancel([self._call[0]])
            out.append(io.CancelTimer(tool_timer(self._call[0])))
            self._call = None
        full = "".join(self._generated).strip()
        text = full if status == "completed" else self.clock.played_text()
        if status in ("interrupted", "cancelled"):
            played_ms = int(self.clock.played_s() * 1000)
            out.append(
                io.Emit(
                    ev.ResponseInterrupted(
                        response_id=self.response_id, turn=self.turn, played_ms=played_ms
                    )
                )
            )
        out.append(
            io.Emit(
                ev.TranscriptAgentFinal(
                    response_id=self.response_id,
                    turn=self.turn,
                    text=text,
                    interrupted=status != "completed",
                )
            )
        )
        out.append(
            io.Emit(ev.ResponseDone(response_id=self.response_id, turn=self.turn, status=status))
        )
        self.result = ResponseResult(status=status, text=text)
        return out

    def _delta(self, text: str) -> ev.TranscriptAgentDelta:
        return ev.TranscriptAgentDelta(response_id=self.response_id, turn=self.turn, text=text)


def tool_timer(call_id: str) -> str:
    """The timer key of a tool call's deadline."""
    return f"tool:{call_id}"
