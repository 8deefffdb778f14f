"""The kernel's relay between the conversation widget and the session WebSocket.

One asyncio loop runs in a daemon thread per kernel and carries every conversation's session
connection, so the sessions live on between cells. The widget's comm handlers run on the
kernel's own thread: they hand audio and commands to the loop with ``call_soon_threadsafe``
and return at once (never blocking the comm thread, never waiting for the network). The
widget's relay socket (``relay_socket.py``) runs on this same loop: its microphone frames are
queued directly, with no thread hop. Events and agent audio come back through the callbacks,
on the loop's thread.

    >>> bridge = SessionBridge(client, session, tools={"lookup_order": lookup_order},
    ...                        on_event=print, on_audio=player)      # doctest: +SKIP
    >>> bridge.send_audio(pcm16)    # from any thread                 # doctest: +SKIP
    >>> bridge.close()                                               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

from nur_notebook.client.types import Session
from nur_notebook.notebook.kernel_loop import KERNEL, KernelLoop
from nur_notebook.notebook.relay_socket import on_loop
from nur_notebook.notebook.session_api import SessionClient, SessionEvent, SessionLink
from nur_notebook.protocol.events import Error
from nur_notebook.realtime.errors import SessionClosedError, SessionConnectionError
from nur_notebook.realtime.events import ResponseAudio
from nur_notebook.realtime.tools import ToolFunction

log = logging.getLogger(__name__)

#: What the bridge hands on: the session's events, and its own ``error`` events.
EventHandler = Callable[[SessionEvent | Error], None]
AudioHandler = Callable[[bytes, int, int], None]
Send = (
    tuple[Literal["audio"], bytes]
    | tuple[Literal["text"], str]
    | tuple[Literal["update"], dict[str, Any]]
    | tuple[Literal["commit", "cancel", "end", "close"], None]
)


class Outbox:
    """What waits to be sent, in order; bounded by dropping the oldest audio, never a command.

    Pure (no loop, no lock): only the bridge's loop thread touches it.
    """

    def __init__(self, *, max_audio: int) -> None:
        self._items: deque[Send] = deque()
        self._audio = 0
        self.max_audio = max_audio
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Send) -> None:
        """Append ``item``; past ``max_audio`` queued frames, drop the oldest frame."""
        self._items.append(item)
        if item[0] != "audio":
            return
        self._audio += 1
        if self._audio > self.max_audio:
            for i, (kind, _) in enumerate(self._items):
                if kind == "audio":
                    del self._items[i]
                    break
            self._audio -= 1
            self.dropped += 1

    def get(self) -> Send:
        """Take the oldest item (IndexError when empty)."""
        item = self._items.popleft()
        if item[0] == "audio":
            self._audio -= 1
        return item


#: How long ``end()`` lets the server confirm before the socket is closed anyway.
END_GRACE_S = 5.0


class SessionBridge:
    """Relays one conversation: widget -> session socket, session events -> callbacks.

    It connects as soon as it is made. ``send_audio``, ``send_text``, ``commit``, ``cancel``
    and ``close`` are thread-safe and never block. When the outbox is full (the socket is
    slower than the microphone) the oldest audio frames are dropped, never a command.
    """

    def __init__(
        self,
        client: SessionClient,
        session: Session | str,
        *,
        tools: Mapping[str, ToolFunction] | None = None,
        on_event: EventHandler,
        on_audio: AudioHandler,
        kernel: KernelLoop = KERNEL,
        # Limits
        max_queued_frames: int = 250,
    ) -> None:
        self._client = client
        self._session = session
        self._tools = dict(tools or {})
        self._on_event = on_event
        self._on_audio = on_audio
        self._loop = kernel.loop
        self._outbox = Outbox(max_audio=max_queued_frames)
        self._wake: asyncio.Event | None = None
        self._closed = threading.Event()
        self._closing = False
        self.error: BaseException | None = None
        self._task: concurrent.futures.Future[None] = asyncio.run_coroutine_threadsafe(
            self._run(), self._loop
        )

    # --- thread-safe inputs ----------------------------------------------------------

    def send_audio(self, pcm: bytes) -> None:
        """Queue 16 kHz mono PCM16 LE (any length) for the session."""
        if pcm:
            self._post(("audio", bytes(pcm)))

    def send_text(self, text: str) -> None:
        """Queue a typed user turn."""
        self._post(("text", text))

    def commit(self) -> None:
        """End the user's turn now (push-to-talk)."""
        self._post(("commit", None))

    def cancel(self) -> None:
        """Cancel the agent's current response."""
        self._post(("cancel", None))

    def update(self, settings: dict[str, Any]) -> None:
        """Queue a ``session.update`` (e.g. ``{"system_prompt": "..."}``)."""
        self._post(("update", dict(settings)))

    def end(self, *, wait: float | None = None) -> None:
        """End the session on the server (``session.end``), then close the socket.

        With ``wait``, block up to that many seconds for the server's ``session.ended``
        and the close (never on the bridge's own thread, where waiting would stall it).
        """
        if not self._closing:
            self._closing = True
            self._post(("end", None))
        if wait is not None and not on_loop(self._loop):
            self._closed.wait(wait)

    def close(self, *, wait: float | None = None) -> None:
        """Close the session socket; with ``wait``, block up to that many seconds for it."""
        if not self._closing:
            self._closing = True
            self._post(("close", None))
        if wait is not None:
            self._closed.wait(wait)

    @property
    def closed(self) -> bool:
        """True once the session socket is closed (or could not be opened)."""
        return self._closed.is_set()

    @property
    def dropped_frames(self) -> int:
        """Audio frames dropped because the socket could not keep up."""
        return self._outbox.dropped

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until the socket is closed; False on timeout."""
        return self._closed.wait(timeout)

    def _post(self, item: Send) -> None:
        if self._closed.is_set():
            return
        if on_loop(self._loop):  # from the relay socket: already on the loop
            self._enqueue(item)
            return
        try:
            self._loop.call_soon_threadsafe(self._enqueue, item)
        except RuntimeError:  # the loop is gone (interpreter shutting down)
            self._closed.set()

    # --- on the loop -------------------------------------------------------------------

    def _enqueue(self, item: Send) -> None:
        self._outbox.put(item)
        if self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        self._wake = asyncio.Event()
        if self._outbox:
            self._wake.set()
        try:
            connect = self._client.agents.sessions.connect
            async with connect(self._session, tools=self._tools) as conn:
                sender = asyncio.create_task(self._send_loop(conn))
                try:
                    async for event in conn:
                        self._deliver(event)
                finally:
                    sender.cancel()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = exc
            self._emit(_error_event(exc, fatal=True))
        finally:
            self._closed.set()

    async def _send_loop(self, conn: SessionLink) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                item = self._outbox.get()
                try:
                    match item:
                        case ("audio", pcm):
                            await conn.send_audio(pcm)
                        case ("text", text):
                            await conn.send_text(text)
                        case ("commit", _):
                            await conn.commit()
                        case ("cancel", _):
                            await conn.cancel()
                        case ("update", settings):
                            await conn.update(**settings)
                        case ("end", _):
                            await conn.end()  # the server answers session.ended, then closes
                            self._loop.call_later(END_GRACE_S, self._force_close, conn)
                            return
                        case ("close", _):
                            await conn.close()
                            return
                except Exception as exc:  # a failed send is reported, the relay goes on
                    log.warning("session bridge: %s failed: %s", item[0], exc)
                    if item[0] != "audio":
                        self._emit(_error_event(exc, fatal=False))

    def _force_close(self, conn: SessionLink) -> None:
        if not self._closed.is_set():  # the server never confirmed the end
            self._loop.create_task(conn.close())

    def _deliver(self, event: SessionEvent) -> None:
        if isinstance(event, ResponseAudio):
            if not event.pcm:  # an empty closing frame (the "last" flag) carries no sound
                return
            try:
                self._on_audio(bytes(event.pcm), event.sample_rate, event.generation)
            except Exception:
                log.exception("session bridge: the audio callback failed")
            return
        self._emit(event)

    def _emit(self, event: SessionEvent | Error) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("session bridge: the event callback failed on %s", event.type)


def _error_event(exc: BaseException, *, fatal: bool) -> Error:
    """The ``error`` event for a failure to reach or keep the session."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, SessionClosedError):
        code = "session_closed"
    elif isinstance(exc, (SessionConnectionError, OSError, TimeoutError)):
        code = "server_unreachable"
    else:
        code = "connection_failed"
    return Error(code=code, message=message, fatal=fatal)
