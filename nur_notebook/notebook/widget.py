"""The conversation widget: microphone, agent voice, live transcript and tool timeline.

The front-end lives in ``js/`` and is bundled by esbuild into ``static/``. The synced traits hold
what a saved notebook shows when it is reopened; live detail (partial text, session events)
travels as custom comm messages. Audio has its own path: microphone frames and agent voice go
over the kernel's relay WebSocket (``relay_socket.py``, reached through the Jupyter server
extension) while the browser has it open, and over the comm otherwise (VS Code, Colab, a server
without the extension, a dropped socket). ``transport`` says which one is live:

    >>> w = ConversationWidget(agent={"name": "Support", "version": 1})     # doctest: +SKIP
    >>> w.on_mic_audio(lambda pcm: bridge.send_audio(pcm))                  # doctest: +SKIP
    >>> w.push_event({"type": "transcript.agent.delta", "turn": 1, "text": "Hi"})  # doctest: +SKIP
    >>> w.transport                                                         # doctest: +SKIP
    'relay'

Callbacks registered with ``on_*`` run on the kernel's thread that handles comm messages, or on
the session bridge's loop thread for what came over the relay socket; keep them short and
thread-safe (hand work to the session bridge). ``push_*`` may be called from any thread.
"""

from __future__ import annotations

import logging
import pathlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from nur_notebook.notebook.kernel_loop import KERNEL, KernelLoop
from nur_notebook.notebook.relay_socket import RelayEndpoint

log = logging.getLogger(__name__)

_STATIC = pathlib.Path(__file__).parent / "static"

#: Link measurements kept for ``link_stats`` (about a minute of 32 ms frames).
_KEEP_SAMPLES = 2048

MicHandler = Callable[[bytes], None]
TextHandler = Callable[[str], None]
WavHandler = Callable[[bytes], None]
ControlHandler = Callable[[dict[str, Any]], None]


def _ms() -> float:
    """Wall-clock milliseconds, comparable with the browser's ``timeOrigin + now()``."""
    return time.time() * 1000.0


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class ConversationWidget(anywidget.AnyWidget):
    """Microphone, agent voice and live transcript of one conversation (see module docstring)."""

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    agent = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("connecting").tag(sync=True)
    transcript: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    tool_calls: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    metrics: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    #: Microphone frames (32 ms each) per comm message, on the comm path only (the relay
    #: socket sends each frame at once): 2 halves the kernel's CPU of that path and delays
    #: every other frame by 32 ms.
    frames_per_message = traitlets.Int(1, min=1, max=4).tag(sync=True)
    #: Where the browser finds the kernel's relay socket (port 0: use the comm only). Saved
    #: with the notebook's widget state but useless after the kernel is gone.
    relay_port = traitlets.Int(0).tag(sync=True)
    relay_token = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, relay: bool = True, kernel: KernelLoop = KERNEL, **kwargs: Any) -> None:
        self._relay: RelayEndpoint | None = self._open_relay(kernel) if relay else None
        if self._relay is not None:
            kwargs.update(relay_port=self._relay.port, relay_token=self._relay.token)
        super().__init__(**kwargs)
        self._mic_handlers: list[MicHandler] = []
        self._text_handlers: list[TextHandler] = []
        self._wav_handlers: list[WavHandler] = []
        self._control_handlers: list[ControlHandler] = []
        # Browser->kernel latency of each audio frame, and ping round trips (both in ms).
        self._uplink_ms: deque[float] = deque(maxlen=_KEEP_SAMPLES)
        self._pongs: deque[dict[str, float]] = deque(maxlen=_KEEP_SAMPLES)
        self._ping_id = 0
        self.frames_received = 0
        #: The browser's wall-clock stamp (ms) of the latest microphone frame, for benchmarks.
        self.last_frame_t: float | None = None
        self.on_msg(self._on_custom)

    def _open_relay(self, kernel: KernelLoop) -> RelayEndpoint | None:
        try:
            return kernel.relay_server().register(
                on_frame=self._receive_audio, on_message=self._on_relay_message
            )
        except Exception:  # the comm carries everything then
            log.exception("conversation widget: no relay socket, audio goes over the comm")
            return None

    @property
    def transport(self) -> str:
        """``"relay"`` while a browser is attached to the relay socket, else ``"comm"``."""
        return "relay" if self._relay is not None and self._relay.attached else "comm"

    def close(self) -> None:
        """Close the widget and its relay endpoint."""
        if self._relay is not None:
            self._relay.close()
            self._relay = None
        super().close()

    # --- callbacks registered by the Conversation ----------------------------------

    def on_mic_audio(self, fn: MicHandler) -> None:
        """Call ``fn(pcm)`` with each 16 kHz mono PCM16 frame from the browser."""
        self._mic_handlers.append(fn)

    def on_text(self, fn: TextHandler) -> None:
        """Call ``fn(text)`` when the user types a turn."""
        self._text_handlers.append(fn)

    def on_wav(self, fn: WavHandler) -> None:
        """Call ``fn(wav_bytes)`` with a file the browser could not decode itself."""
        self._wav_handlers.append(fn)

    def on_control(self, fn: ControlHandler) -> None:
        """Call ``fn(message)`` for mic started/stopped/denied, file sent, end button."""
        self._control_handlers.append(fn)

    # --- kernel -> browser ----------------------------------------------------------

    def push_event(self, event: dict[str, Any]) -> None:
        """Show a session event live (partial transcript, tool call running, notices)."""
        self.send({"type": "event", "event": event})

    def push_audio(self, pcm: bytes, *, sample_rate: int, generation: int = 0) -> None:
        """Queue agent audio (PCM16 LE mono) for playback, as one binary buffer."""
        if not pcm:
            return
        message = {"type": "audio", "sample_rate": int(sample_rate), "generation": int(generation)}

        def by_comm() -> None:
            self.send(message, buffers=[pcm])

        relay = self._relay
        if relay is None or not relay.send_audio(
            pcm, sample_rate=int(sample_rate), generation=int(generation), fallback=by_comm
        ):
            by_comm()

    def flush_audio(self, generation: int | None = None) -> None:
        """Drop the agent audio queued in the browser now (an interruption), in order with
        the audio already sent."""
        self._send_control({"type": "flush", "generation": generation})

    def ping(self) -> int:
        """Send a latency probe on the live transport; the browser's answer is recorded for
        ``link_stats``."""
        self._ping_id += 1
        self._send_control({"type": "ping", "id": self._ping_id, "t": _ms()})
        return self._ping_id

    def _send_control(self, message: dict[str, Any]) -> None:
        def by_comm() -> None:
            self.send(message)

        relay = self._relay
        if relay is None or not relay.send_json(message, fallback=by_comm):
            by_comm()

    def link_stats(self) -> dict[str, float | int | None]:
        """Median and p99 latency of the kernel hop, from frame stamps and ping answers (ms)."""
        up = list(self._uplink_ms)
        down = [p["down_ms"] for p in self._pongs]
        rtt = [p["rtt_ms"] for p in self._pongs]
        return {
            "frames": self.frames_received,
            "uplink_p50_ms": _percentile(up, 0.5),
            "uplink_p99_ms": _percentile(up, 0.99),
            "pings": len(rtt),
            "downlink_p50_ms": _percentile(down, 0.5),
            "downlink_p99_ms": _percentile(down, 0.99),
            "rtt_p50_ms": _percentile(rtt, 0.5),
        }

    # --- browser -> kernel ----------------------------------------------------------

    def _on_custom(self, _widget: object, content: object, buffers: list[memoryview]) -> None:
        if not isinstance(content, dict):
            log.warning("conversation widget: ignoring a message that is not an object")
            return
        kind = content.get("type")
        if kind == "audio":
            if not buffers:
                return
            pcm = bytes(buffers[0])
            if len(pcm) % 2:
                log.warning("conversation widget: dropping an audio frame of odd length")
                return
            sent = content.get("t")
            self._receive_audio(pcm, float(sent) if isinstance(sent, (int, float)) else None)
        elif kind == "text":
            text = str(content.get("text") or "").strip()
            if text:
                self._dispatch(self._text_handlers, text)
        elif kind == "wav":
            if buffers:
                self._dispatch(self._wav_handlers, bytes(buffers[0]))
        elif kind == "control":
            self._dispatch(self._control_handlers, dict(content))
        elif kind == "pong":
            self._record_pong(content)

    def _receive_audio(self, pcm: bytes, sent: float | None) -> None:
        self.frames_received += 1
        if sent is not None:
            self.last_frame_t = sent
            self._uplink_ms.append(_ms() - sent)
        self._dispatch(self._mic_handlers, pcm)

    def _on_relay_message(self, content: dict[str, Any]) -> None:
        # Only what the browser sends on the relay socket: the rest belongs to the comm.
        if content.get("type") in ("control", "pong"):
            self._on_custom(self, content, [])
        else:
            log.warning(
                "conversation widget: ignoring a relay message of type %r", content.get("type")
            )

    def _record_pong(self, content: dict[str, Any]) -> None:
        sent, seen = content.get("t"), content.get("browser_t")
        if not isinstance(sent, (int, float)) or not isinstance(seen, (int, float)):
            return
        back = _ms()
        self._pongs.append(
            {"down_ms": float(seen) - float(sent), "rtt_ms": back - float(sent)},
        )

    @staticmethod
    def _dispatch(handlers: list[Callable[[Any], None]], value: Any) -> None:
        # One failing handler must not keep the others (or the comm) from working.
        for fn in handlers:
            try:
                fn(value)
            except Exception:
                log.exception("conversation widget: a %s handler failed", type(value).__name__)
