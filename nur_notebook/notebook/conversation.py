"""``Conversation``: one live session with an agent, as a notebook object.

``%%nur_agent ... --as conv`` makes one. It owns the widget (what the user sees and
speaks into) and the session bridge (the session WebSocket, on the bridge's thread),
folds every session event into :class:`~nur_notebook.notebook.state.ConversationState`,
and offers the conversation to Python::

    conv.say("Where is my order 12345?")   # a typed turn
    conv.wait()                            # until the agent has answered
    conv.transcript[-1]["text"]            # 'Your order 12345 has shipped.'
    conv.tool_calls                        # [{'name': 'lookup_order', ...}]
    conv.play("question.wav")              # a recorded turn, sent as speech
    conv.to_markdown(); conv.save_audio("talk.wav"); conv.end()
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy.typing as npt

from nur_notebook.client.types import Session
from nur_notebook.notebook import reprs
from nur_notebook.notebook.audio import Recorder, to_pcm16_16k
from nur_notebook.notebook.bridge import SessionBridge
from nur_notebook.notebook.errors import ConversationEndedError, ConversationTimeoutError
from nur_notebook.notebook.kernel_loop import KERNEL, KernelLoop
from nur_notebook.notebook.session_api import SessionClient, SessionEvent
from nur_notebook.notebook.state import ConversationState, Field
from nur_notebook.notebook.tools import Tool
from nur_notebook.protocol.events import Error, ResponseInterrupted, SessionEnded
from nur_notebook.protocol.pcm import FRAME_MS, INPUT_RATE, recording_as_turn

if TYPE_CHECKING:
    from nur_notebook.notebook.widget import ConversationWidget

#: Recorded audio (``play``) is sent as a turn (protocol.pcm) at this many times real time.
PLAY_SPEED = 2.0
DEFAULT_WAIT_TIMEOUT = 300.0
#: How long `end()` waits for the server to confirm the end of the session.
END_WAIT_S = 5.0


class _DisplayHandle(Protocol):
    def update(self, obj: object) -> None: ...


class Conversation:
    """A live conversation with one agent version (see the module docstring)."""

    def __init__(
        self,
        session: Session | str,
        *,
        client: SessionClient,
        agent: dict[str, Any],
        tools: Sequence[Tool[..., Any]] = (),
        greeting: bool = False,
        widget: ConversationWidget | None = None,
        kernel: KernelLoop = KERNEL,
    ) -> None:
        self.session = session
        self.agent = dict(agent)
        self._state = ConversationState(agent_version=int(agent.get("version") or 1))
        self._cond = threading.Condition()
        self._recorder = Recorder()
        self._expect_greeting = greeting
        self._inputs = 0
        self._sending = 0
        self._display: _DisplayHandle | None = None
        self._generation: int | None = None  # of the latest agent audio
        # Each user turn's audio as sent (for to_scenario), cut at its final transcript.
        self._turn_audio: dict[int, bytes] = {}
        self._pending_audio = bytearray()
        # A prompt sent with update(): (prompt, version), live once session.updated says so.
        self._pending_prompt: tuple[str, int] | None = None
        self.widget = widget
        if widget is not None:
            self._wire_widget(widget)
        handlers = {item.name: item.call_from_agent for item in tools}
        self._bridge = SessionBridge(
            client,
            session,
            tools=handlers,
            on_event=self._on_event,
            on_audio=self._on_audio,
            kernel=kernel,
        )

    # --- what the session sends -------------------------------------------------

    def _on_event(self, event: SessionEvent | Error) -> None:
        data = event.to_dict()
        with self._cond:
            self._before_event(data)
            changed = self._state.apply(data, now=time.time())
            snapshot = self._snapshot(changed)
            self._cond.notify_all()
        if self.widget is not None:
            if isinstance(event, ResponseInterrupted) and self._generation is not None:
                # In order with the agent audio on the widget's audio path (the event itself
                # travels on the comm, which the relay socket does not wait for).
                self.widget.flush_audio(self._generation)
            self.widget.push_event(data)
            for name, value in snapshot.items():
                setattr(self.widget, name, value)

    def _snapshot(self, changed: set[Field]) -> dict[str, Any]:
        state = self._state
        values: dict[str, Any] = {
            "transcript": state.transcript,
            "tool_calls": state.tool_calls,
            "metrics": state.metrics,
            "status": state.status,
            "error": state.error,
        }
        return {name: copy.deepcopy(values[name]) for name in changed}

    def _on_audio(self, pcm: bytes, sample_rate: int, generation: int) -> None:
        self._generation = generation
        self._recorder.add_agent(pcm, sample_rate=sample_rate, at=time.monotonic())
        if self.widget is not None:
            self.widget.push_audio(pcm, sample_rate=sample_rate, generation=generation)

    # --- what the widget sends --------------------------------------------------

    def _wire_widget(self, widget: ConversationWidget) -> None:
        widget.on_mic_audio(self._send_mic_audio)
        widget.on_text(self.say)
        widget.on_wav(self.play)
        widget.on_control(self._on_control)

    def _send_mic_audio(self, pcm: bytes) -> None:
        self._recorder.add_user(pcm, at=time.monotonic())
        self._pending_audio.extend(pcm)
        self._bridge.send_audio(pcm)

    def _on_control(self, message: dict[str, Any]) -> None:
        action = message.get("action")
        if action == "end":
            self.end()
        elif action == "file_started":  # a WAV picked in the browser: one more user turn
            with self._cond:
                self._inputs += 1
        elif action == "mic_stopped" and self.status == "user_speaking":
            self._bridge.commit()  # the user stopped mid-sentence: that was the turn

    # --- Python API -------------------------------------------------------------

    @property
    def transcript(self) -> list[dict[str, Any]]:
        """The turns so far: role, text, turn, agent_version, started_at, ended_at, interrupted."""
        with self._cond:
            return copy.deepcopy(self._state.transcript)

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """Tool calls: name, arguments, output, is_error, duration_ms, call_id, turn."""
        with self._cond:
            return copy.deepcopy(self._state.tool_calls)

    @property
    def metrics(self) -> list[dict[str, Any]]:
        """Per-turn latency in ms (voice_to_voice_ms, stt_ms, llm_first_token_ms, ...)."""
        with self._cond:
            return copy.deepcopy(self._state.metrics)

    @property
    def status(self) -> str:
        """listening, user_speaking, thinking, speaking, reconnecting, ended, error, ..."""
        return self._state.status

    @property
    def error(self) -> str:
        """The last error the session reported ("" if none)."""
        return self._state.error

    @property
    def ended(self) -> bool:
        """Whether the session is over (then ``say``/``play`` raise)."""
        return self._state.ended

    def _check_open(self) -> None:
        if self._state.ended:
            reason = self._state.ended_reason or self._state.error or "ended"
            raise ConversationEndedError(f"this conversation has ended ({reason}); re-run its cell")

    def say(self, text: str) -> None:
        """Send a typed user turn (what a microphone-less machine does)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("say() needs some text")
        self._check_open()
        with self._cond:
            self._inputs += 1
        self._bridge.send_text(text)

    def play(
        self, audio: str | Path | bytes | npt.ArrayLike, *, sample_rate: int = INPUT_RATE
    ) -> None:
        """Send recorded speech as the user's turn: a WAV path, WAV bytes, or an array
        of samples at ``sample_rate``. Returns at once; ``wait()`` for the answer."""
        self._check_open()
        frames = recording_as_turn(to_pcm16_16k(audio, sample_rate=sample_rate))
        with self._cond:
            self._inputs += 1
            self._sending += 1
        threading.Thread(target=self._send_paced, args=(frames,), daemon=True).start()

    def _send_paced(self, frames: list[bytes]) -> None:
        try:
            pause = FRAME_MS / 1000 / PLAY_SPEED
            for piece in frames:
                if self._state.ended:
                    break
                self._recorder.add_user(piece, at=time.monotonic())
                self._pending_audio.extend(piece)
                self._bridge.send_audio(piece)
                time.sleep(pause)
        finally:
            with self._cond:
                self._sending -= 1
                self._cond.notify_all()

    def _settled(self) -> bool:
        if self._sending and not self._state.ended:
            return False
        return self._state.complete(inputs=self._inputs, greeting=self._expect_greeting)

    def wait(self, timeout: float = DEFAULT_WAIT_TIMEOUT) -> dict[str, Any] | None:
        """Block until every turn sent so far is complete (or the session ended): the
        agent's answer is done and the turn's ``metrics.turn`` has arrived, so
        ``transcript``, ``tool_calls`` and ``metrics`` all include it. Returns the agent's
        last transcript entry; raises ``TimeoutError``."""
        with self._cond:
            if not self._cond.wait_for(self._settled, timeout=timeout):
                raise ConversationTimeoutError(
                    f"no complete answer within {timeout:.0f} s (status {self._state.status}, "
                    f"{self._state.user_turns} of {self._inputs} user turns heard)"
                )
            replies = [e for e in self._state.transcript if e["role"] == "agent"]
            last = copy.deepcopy(replies[-1]) if replies else None
        self.refresh_display()
        return last

    def end(self) -> None:
        """End the session on the server (its status becomes ``ended``; the widget shows
        why); the transcript stays readable."""
        self._bridge.end(wait=END_WAIT_S)
        if not self._state.ended:  # not confirmed yet (or the socket was down)
            self._on_event(SessionEnded(reason="client_ended"))
        self.refresh_display()

    # --- prompt versions and scenarios ------------------------------------------

    def _before_event(self, data: dict[str, Any]) -> None:
        """Bookkeeping of ``update`` and ``to_scenario`` (under the lock)."""
        kind = data.get("type")
        if kind == "transcript.user.final" and self._pending_audio:
            self._turn_audio[int(data.get("turn", 0))] = bytes(self._pending_audio)
            self._pending_audio.clear()
        elif kind == "session.updated" and self._pending_prompt is not None:
            prompt, version = self._pending_prompt
            agent = (data.get("session") or {}).get("agent") or {}
            if agent.get("system_prompt") == prompt:
                self._pending_prompt = None
                self._state.agent_version = version
                self.agent["version"] = version
                self.agent["system_prompt"] = prompt
                if self.widget is not None:
                    self.widget.agent = dict(self.agent)

    def update(
        self, *, system_prompt: str, version: int | None = None, timeout: float = 30.0
    ) -> int:
        """Change the running conversation's prompt (``session.update``; same session).

        Replies from then on are marked with ``version`` (default: the current one + 1) in
        the transcript; returns that version once the server has confirmed the change.
        """
        if not isinstance(system_prompt, str) or not system_prompt.strip():
            raise ValueError("update() needs a non-empty system_prompt")
        self._check_open()
        with self._cond:
            new = int(version if version is not None else self._state.agent_version + 1)
            self._pending_prompt = (system_prompt, new)
        self._bridge.update({"system_prompt": system_prompt})
        with self._cond:
            if not self._cond.wait_for(lambda: self._pending_prompt is None, timeout=timeout):
                self._pending_prompt = None
                raise TimeoutError(
                    f"the server did not confirm the new prompt within {timeout:g} s"
                )
        return new

    def to_scenario(
        self,
        name: str | None = None,
        *,
        mode: str | None = None,
        audio_dir: str | Path | None = None,
    ) -> dict[str, Any]:
        """This conversation as an eval scenario (docs/evals.md): each user turn with the
        tool calls it led to as expectations (``no_tool_call`` where there were none).

        Turns spoken here become an ``audio`` scenario replaying the recorded user audio
        (as WAV bytes, or files in ``audio_dir``); typed ones a ``text`` scenario.
        ``mode="text"`` or ``"spoken"`` replays the words heard instead.
        """
        from nur_notebook.notebook.scenario import scenario_from

        with self._cond:
            audio = dict(self._turn_audio)
        return scenario_from(
            self.transcript,
            self.tool_calls,
            audio=audio,
            name=name
            or f"{self.agent.get('name', 'conversation')} v{self.agent.get('version', 1)}",
            mode=mode,
            audio_dir=None if audio_dir is None else Path(audio_dir),
        )

    # --- exports and display ----------------------------------------------------

    def to_markdown(self) -> str:
        """The transcript and tool calls as Markdown."""
        return reprs.to_markdown(self._view())

    def to_json(self, *, indent: int | None = 2) -> str:
        """Everything recorded (agent, transcript, tool calls, metrics) as JSON text."""
        document = {
            "agent": self.agent,
            "session_id": getattr(self.session, "session_id", None),
            "status": self.status,
            "transcript": self.transcript,
            "tool_calls": self.tool_calls,
            "metrics": self.metrics,
        }
        return json.dumps(document, indent=indent, ensure_ascii=False, default=str)

    def save_audio(self, path: str | Path) -> Path:
        """Write the conversation as a stereo WAV (left: user audio sent, right: agent
        audio received, on one timeline); returns the path."""
        target = Path(path).expanduser()
        target.write_bytes(self._recorder.to_wav())
        return target

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        view = self._view()
        bundle: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        if self.widget is not None:
            shown = self.widget._repr_mimebundle_(**kwargs)
            if isinstance(shown, tuple):  # anywidget: (data, metadata)
                bundle.update(shown[0] or {})
                metadata.update(shown[1] or {})
            elif isinstance(shown, dict):  # ipywidgets: data only
                bundle.update(shown)
        bundle["text/plain"] = reprs.to_text(view)
        bundle["text/html"] = reprs.to_html(view)
        return bundle, metadata

    def __repr__(self) -> str:
        return reprs.to_text(self._view())

    def _view(self) -> reprs.View:
        return reprs.View(self.transcript, self.tool_calls, agent=self.agent, status=self.status)

    def show(self) -> None:
        """Display the conversation (the widget, with a text/HTML transcript fallback)."""
        from IPython import display as ipython_display

        display: Callable[..., Any] = ipython_display.display

        self._display = display(self, display_id=True)

    def refresh_display(self) -> None:
        """Refresh the fallback transcript saved in the notebook's output."""
        if self._display is not None:
            self._display.update(self)
