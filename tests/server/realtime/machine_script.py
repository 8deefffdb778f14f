"""Helpers of the session machine's tests (imported by name: ``from machine_script import``).

A ``Script`` drives one ``SessionMachine`` with scripted inputs on a clock it moves by
hand, and keeps every command it returned. No sockets, engines, threads or sleeps.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import numpy as np

from nur_notebook.protocol import events as ev
from nur_notebook.server.pipeline.base import Float32Audio, ToolSpec
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.machine import SessionMachine
from nur_notebook.server.realtime.profile import AgentProfile, RuntimeOptions, SessionInfo

LOOKUP_ORDER = ToolSpec(
    name="lookup_order",
    description="Look up an order",
    parameters={"order_id": {"type": "string", "required": True}},
)


def session_info(
    *,
    max_turns: int = 5,
    initial_message: str | None = None,
    system_prompt: str = "You are a support agent.",
) -> SessionInfo:
    agent = AgentProfile(
        agent_id="agt_1",
        system_prompt=system_prompt,
        voice_id="joe",
        language="en",
        tools=[LOOKUP_ORDER],
        max_turns=max_turns,
    )
    return SessionInfo(
        session_id="ses_1",
        agent=agent,
        agent_name="Support",
        initial_message=initial_message,
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        agent_tools=[],
    )


def utterance(seconds: float = 1.0) -> Float32Audio:
    return np.full(int(16_000 * seconds), 0.1, dtype=np.float32)


class Script:
    """One machine, its clock and everything it said."""

    def __init__(self, **info: Any) -> None:
        counter = itertools.count(1)
        calls = itertools.count(1)
        self.machine = SessionMachine(
            session_info(**info),
            options=RuntimeOptions(tool_timeout_ms=15_000),
            new_id=lambda: f"rsp_{next(counter)}",
            call_id=lambda: f"call_{next(calls)}",
        )
        self.now = 1000.0
        self.commands: list[io.Command] = []
        self.feed(io.Started(expires_in_s=3600))
        self.feed(io.Attached(resume_token="tok"))

    def feed(self, item: io.Input, *, after: float = 0.0) -> list[io.Command]:
        """One input, ``after`` seconds after the previous one; the commands it gave."""
        self.now += after
        out = self.machine.handle(item, now=self.now)
        self.commands += out
        return out

    def client(self, event: Any, *, after: float = 0.0) -> list[io.Command]:
        return self.feed(io.ClientEventIn(event), after=after)

    def say(self, text: str) -> list[io.Command]:
        return self.client(ev.InputText(text=text))

    def brain(self, *pieces: str, done: bool = True) -> list[io.Command]:
        """The current stream says ``pieces`` (and ends)."""
        stream = self.stream()
        out: list[io.Command] = []
        for piece in pieces:
            out += self.feed(io.BrainSaid(stream, piece), after=0.1)
        if done:
            out += self.feed(io.BrainDone(stream))
        return out

    def play(self, text: str, seconds: float) -> list[io.Command]:
        """The speaker sends ``text`` (``seconds`` of audio) at once, as if one chunk."""
        rid = self.response_id()
        out = self.feed(io.SegmentStarted(rid, text, seconds, synth_ms=50.0))
        return out + self.feed(io.AudioSent(rid, seconds))

    def play_out(self) -> list[io.Command]:
        return self.feed(io.PlayoutDone(self.response_id()), after=0.3)

    # --- reading what happened --------------------------------------------------------

    def stream(self) -> str:
        starts = [c for c in self.commands if isinstance(c, io.StartBrain)]
        assert starts, "no brain stream was started"
        return starts[-1].stream

    def response_id(self) -> str:
        response = self.machine.response
        assert response is not None, "no reply in progress"
        return response.response_id

    def events(self, kind: type[Any] | None = None) -> list[Any]:
        emitted = [c.event for c in self.commands if isinstance(c, io.Emit)]
        return [e for e in emitted if kind is None or isinstance(e, kind)]

    def of(self, kind: type[Any], commands: list[io.Command] | None = None) -> list[Any]:
        return [c for c in (self.commands if commands is None else commands) if isinstance(c, kind)]


def emitted(commands: list[io.Command], kind: type[Any] | None = None) -> list[Any]:
    events = [c.event for c in commands if isinstance(c, io.Emit)]
    return [e for e in events if kind is None or isinstance(e, kind)]


def emitted_kinds(commands: list[io.Command]) -> list[str]:
    """The class names of the events ``commands`` send, in order."""
    return [type(e).__name__ for e in emitted(commands)]
