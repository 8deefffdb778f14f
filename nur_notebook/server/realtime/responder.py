"""One agent response: brain -> sentence splitter -> TTS -> paced audio frames.

The brain runs in its own thread (the engine is shared by all sessions and batches
their replies) and streams into the event loop. Sentences go to TTS as soon as
they are complete, one sentence ahead of playback, and audio leaves at real time with
a small lead, so barge-in knows exactly what the user heard.

A response is stopped by cancelling its task after setting ``stop_status``: it then
emits ``response.interrupted`` (for barge-in), the agent's final transcript with only
the played part, and ``response.done``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import ErrorCode
from nur_notebook.server.pipeline.base import (
    BrainEvent,
    ToolCallDecision,
)
from nur_notebook.server.pipeline.decision import ungrounded_arguments
from nur_notebook.server.pipeline.text import SentenceSplitter
from nur_notebook.server.realtime.audio_out import PlayoutClock, resample
from nur_notebook.server.realtime.engines import SessionEngines
from nur_notebook.server.realtime.history import History
from nur_notebook.server.realtime.profile import AgentProfile
from nur_notebook.server.realtime.tools import ToolCalls, new_call_id

log = logging.getLogger(__name__)

Emit = Callable[[Any], Awaitable[None]]
SendAudio = Callable[[bytes, int, bool], Awaitable[None]]
Status = Literal["completed", "interrupted", "cancelled", "failed"]

#: Rounds of tool calls one response may make before it must answer.
MAX_TOOL_ROUNDS = 3
#: Output audio frame length.
FRAME_S = 0.04
_END = object()


@dataclass
class TurnTimings:
    """Stage times of one turn, in milliseconds (None: the stage did not run)."""

    turn_end: float | None = None  # monotonic time the user stopped speaking / sent text
    stt_ms: float | None = None
    llm_first_token_ms: float | None = None
    llm_first_sentence_ms: float | None = None
    tool_ms: float | None = None
    tts_first_audio_ms: float | None = None
    first_audio_at: float | None = None
    tool_calls: list[str] = field(default_factory=list)

    def voice_to_voice_ms(self) -> float | None:
        if self.turn_end is None or self.first_audio_at is None:
            return None
        return (self.first_audio_at - self.turn_end) * 1000

    def metrics_event(self, turn: int) -> ev.MetricsTurn:
        """The turn's ``metrics.turn`` event (milliseconds, one decimal)."""

        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return ev.MetricsTurn(
            turn=turn,
            voice_to_voice_ms=r(self.voice_to_voice_ms()),
            stt_ms=r(self.stt_ms),
            llm_first_token_ms=r(self.llm_first_token_ms),
            llm_first_sentence_ms=r(self.llm_first_sentence_ms),
            tool_ms=r(self.tool_ms),
            tts_first_audio_ms=r(self.tts_first_audio_ms),
        )


@dataclass
class ResponseResult:
    status: Status
    text: str


class Responder:
    """Runs one response of one session; create one per response."""

    def __init__(
        self,
        *,
        response_id: str,
        session_id: str,
        turn: int,
        generation: int,
        engines: SessionEngines,
        agent: AgentProfile,
        history: History,
        tools: ToolCalls,
        tool_timeout_s: float,
        output_rate: int,
        emit: Emit,
        send_audio: SendAudio,
        lead_s: float = 0.25,
    ) -> None:
        self.response_id = response_id
        self._session_id = session_id
        self.turn = turn
        self.generation = generation
        self._engines = engines
        self._agent = agent
        self._history = history
        self._tools = tools
        self._tool_timeout_s = tool_timeout_s
        self._rate = output_rate
        self._emit = emit
        self._send_audio = send_audio
        self.clock = PlayoutClock(lead_s=lead_s)
        self.timings = TurnTimings()
        self.stop_status: Status | None = None
        self._stop = threading.Event()
        self._generated: list[str] = []

    @property
    def audio_started(self) -> bool:
        return self.clock.sent_s > 0

    async def run(self, *, fixed_text: str | None = None) -> ResponseResult:
        """Speak ``fixed_text``, or let the brain answer the conversation so far."""
        await self._emit(
            ev.ResponseStarted(
                response_id=self.response_id, turn=self.turn, generation=self.generation
            )
        )
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        speaker = asyncio.create_task(self._speak(sentences))
        status: Status = "completed"
        try:
            if fixed_text is not None:
                self._generated.append(fixed_text)
                await self._emit(self._delta(fixed_text))
                await sentences.put(fixed_text)
            else:
                await self._think(sentences)
            await sentences.put(None)
            await speaker
        except asyncio.CancelledError:
            status = self.stop_status or "cancelled"
        except Exception as exc:
            status = "failed"
            await self._emit(
                ev.Error(code=ErrorCode.INTERNAL_ERROR, message=f"response failed: {exc}")
            )
        finally:
            self._stop.set()
            if not speaker.done():
                speaker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await speaker
        return await self._finish(status)

    async def _finish(self, status: Status) -> ResponseResult:
        full = "".join(self._generated).strip()
        text = full if status == "completed" else self.clock.played_text()
        if status in ("interrupted", "cancelled"):  # barge-in or response.cancel
            await self._emit(
                ev.ResponseInterrupted(
                    response_id=self.response_id,
                    turn=self.turn,
                    played_ms=int(self.clock.played_s() * 1000),
                )
            )
        if self._tools.pending:
            self._tools.cancel_all()
        await self._emit(
            ev.TranscriptAgentFinal(
                response_id=self.response_id,
                turn=self.turn,
                text=text,
                interrupted=status != "completed",
            )
        )
        await self._emit(
            ev.ResponseDone(response_id=self.response_id, turn=self.turn, status=status)
        )
        return ResponseResult(status=status, text=text)

    def _delta(self, text: str) -> ev.TranscriptAgentDelta:
        return ev.TranscriptAgentDelta(response_id=self.response_id, turn=self.turn, text=text)

    # --- brain ----------------------------------------------------------------------

    async def _think(self, sentences: asyncio.Queue[str | None]) -> None:
        # Tiny fragments ("Ok.") join the next sentence; a long first clause is cut at a
        # comma so the first audio comes sooner.
        splitter = SentenceSplitter(min_chars=12, first_clause_chars=60)
        tools_allowed = True
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            decision: ToolCallDecision | None = None
            started = time.monotonic()
            allow = tools_allowed and round_no < MAX_TOOL_ROUNDS
            async for item in self._brain_stream(allow_tools=allow):
                if self.timings.llm_first_token_ms is None:
                    self.timings.llm_first_token_ms = (time.monotonic() - started) * 1000
                if isinstance(item, ToolCallDecision):
                    decision = item
                    continue
                self._generated.append(item.text)
                await self._emit(self._delta(item.text))
                for sentence in splitter.feed(item.text):
                    self._first_sentence(started)
                    await sentences.put(sentence)
            if decision is None:
                last = splitter.flush()
                if last:
                    self._first_sentence(started)
                    await sentences.put(last)
                return
            missing = ungrounded_arguments(decision, self._history.messages)
            if missing:  # a made-up value: don't run the tool, make the agent ask instead
                self._refuse(decision, missing)
                tools_allowed = False
                continue
            await self._call_tool(decision)

    def _refuse(self, decision: ToolCallDecision, missing: list[str]) -> None:
        """Tell the brain (only) that its call was not made because the user never said
        the values of ``missing``."""
        log.info("not calling %s: nobody said %s", decision.name, ", ".join(missing))
        self._history.add_tool_call(decision.name, decision.arguments)
        self._history.add_tool_result(
            decision.name,
            f"not called: the user has not said the {' and '.join(missing)} yet. "
            "Ask the user for it.",
            is_error=True,
        )

    def _first_sentence(self, started: float) -> None:
        if self.timings.llm_first_sentence_ms is None:
            self.timings.llm_first_sentence_ms = (time.monotonic() - started) * 1000

    async def _brain_stream(self, *, allow_tools: bool) -> Any:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        tools = self._agent.tools
        history = self._history.window()

        def put(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone at shutdown
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            if self._stop.is_set():
                put(_END)
                return
            stream = self._engines.brain.respond(
                system_prompt=self._agent.system_prompt,
                history=history,
                tools=tools,
                language=self._agent.language,
                session=self._session_id,
                allow_tools=allow_tools,
            )
            try:
                for item in stream:
                    if self._stop.is_set():
                        break
                    put(item)
            except Exception as exc:
                put(exc)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:  # a generator: closing stops the generation
                    close()
                put(_END)

        threading.Thread(target=work, name=f"brain-{self.response_id}", daemon=True).start()
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            brain_event: BrainEvent = item
            yield brain_event

    async def _call_tool(self, decision: ToolCallDecision) -> None:
        call_id = new_call_id()
        self._history.add_tool_call(decision.name, decision.arguments)
        self._tools.open(call_id)
        self.timings.tool_calls.append(decision.name)
        await self._emit(
            ev.ToolCall(
                call_id=call_id,
                name=decision.name,
                arguments=decision.arguments,
                response_id=self.response_id,
                turn=self.turn,
            )
        )
        outcome = await self._tools.wait(call_id, limit_s=self._tool_timeout_s)
        self.timings.tool_ms = (self.timings.tool_ms or 0.0) + outcome.duration_ms
        if outcome.timed_out:
            await self._emit(
                ev.Error(
                    code=ErrorCode.TOOL_TIMEOUT,
                    message=f"tool call {call_id} ({decision.name}) got no result within "
                    f"{self._tool_timeout_s:g} s; the agent was told it failed",
                )
            )
        await self._emit(
            ev.ToolCallCompleted(
                call_id=call_id,
                name=decision.name,
                output=outcome.output,
                is_error=outcome.is_error,
                duration_ms=round(outcome.duration_ms, 1),
            )
        )
        self._history.add_tool_result(decision.name, outcome.as_text(), is_error=outcome.is_error)

    # --- voice ----------------------------------------------------------------------

    async def _speak(self, sentences: asyncio.Queue[str | None]) -> None:
        """Synthesize one sentence ahead of playback; send frames paced at real time."""
        audio: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue(maxsize=1)
        synth = asyncio.create_task(self._synthesize(sentences, audio))
        try:
            frame_bytes = int(self._rate * FRAME_S) * 2
            while (item := await audio.get()) is not None:
                text, pcm = item
                self.clock.add_segment(text, len(pcm) / 2 / self._rate)
                for offset in range(0, len(pcm), frame_bytes):
                    chunk = pcm[offset : offset + frame_bytes]
                    chunk_s = len(chunk) / 2 / self._rate
                    delay = self.clock.delay_before(chunk_s)
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await self._send_audio(chunk, self.generation, False)
                    self.clock.sent(chunk_s)
                    if self.timings.first_audio_at is None:
                        self.timings.first_audio_at = time.monotonic()
            await synth
            if self.clock.sent_s > 0:
                await self._send_audio(b"", self.generation, True)
                # Stay "speaking" until the lead has played out, so late barge-in is caught.
                remaining = self.clock.sent_s - self.clock.played_s()
                if remaining > 0:
                    await asyncio.sleep(remaining)
        finally:
            if not synth.done():
                synth.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await synth

    async def _synthesize(
        self,
        sentences: asyncio.Queue[str | None],
        audio: asyncio.Queue[tuple[str, bytes] | None],
    ) -> None:
        tts = self._engines.tts_for(self._agent.voice_id, self._agent.language)
        while (sentence := await sentences.get()) is not None:
            started = time.monotonic()
            pcm = await asyncio.to_thread(
                tts.synthesize,
                sentence,
                voice_id=self._agent.voice_id,
                language=self._agent.language,
            )
            if self.timings.tts_first_audio_ms is None:
                self.timings.tts_first_audio_ms = (time.monotonic() - started) * 1000
            out = resample(pcm, src_rate=tts.sample_rate, dst_rate=self._rate)
            if out.size:
                await audio.put((sentence, out.astype("<i2").tobytes()))
        await audio.put(None)
