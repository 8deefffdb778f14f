"""The session WebSocket on the client side: events in, audio and events out, reconnects.

    >>> async def main(client, session):                        # doctest: +SKIP
    ...     async with client.agents.sessions.connect(session, tools={"lookup": lookup}) as conn:
    ...         await conn.send_text("where is my order 12345?")
    ...         async for event in conn:
    ...             if event.type == "response.done":
    ...                 break

One background task owns the socket. It reads every frame as it comes (so tool calls are
answered even while nobody iterates), feeds them through ``Inbound`` and queues the events
for the iterator. When the socket drops without a final close code it reconnects with
backoff and resumes from the last ``seq``: the iterator sees ``connection.reconnecting``,
the missed events, ``connection.resumed``, and never a duplicate.

Client events are delivered at least once and applied once: each is numbered and kept
until the server acknowledges it, and what a dropped socket lost is sent again, in order,
on the next connection (``pending.py``). Live audio is not: late speech is worse than a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from nur_notebook.client.base import AsyncClosing
from nur_notebook.protocol.events import (
    Ack,
    ClientEvent,
    Error,
    InputAudioClear,
    InputAudioCommit,
    InputText,
    ResponseCancel,
    SessionCreated,
    SessionEnd,
    SessionUpdate,
    ToolCall,
    ToolResult,
)
from nur_notebook.realtime.backoff import after_close, reconnect_delay
from nur_notebook.realtime.errors import (
    ReconnectFailedError,
    SessionClosedError,
    SessionConnectionError,
)
from nur_notebook.realtime.events import ConnectionReconnecting, ConnectionResumed
from nur_notebook.realtime.framing import InputFramer
from nur_notebook.realtime.inbound import Inbound, InboundEvent
from nur_notebook.realtime.pending import Pending, connect_url, new_stream_id
from nur_notebook.realtime.tools import ToolFunction, call_tool, json_safe

#: Transport limit of one frame either way (docs/protocol.md, Limits).
MAX_FRAME_BYTES = 1 << 20


@dataclass
class _Closed:
    """How one socket ended."""

    code: int | None
    reason: str
    got_events: bool = False
    fatal: Error | None = None


class _End:
    """Queued after the last event: the iterator stops (or raises ``error``)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class AsyncSessionConnection(AsyncClosing):
    """An open session socket: an async iterator of events plus the sending methods.

    Use it as ``async with``: entering opens the socket and waits for the server's first
    event, so a wrong key or an ended session raises ``SessionClosedError`` right there.
    ``tools`` maps tool names to functions that answer ``tool.call`` automatically; with
    ``tools=None`` the caller answers with ``send_tool_result`` itself. With
    ``resend=False`` events are sent once, unnumbered (a client of the protocol before
    acknowledgements): one in flight when the socket drops is lost.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        tools: Mapping[str, ToolFunction] | None = None,
        last_seq: int | None = None,
        resume_token: str | None = None,
        # Reconnecting
        reconnect: bool = True,
        max_reconnect_attempts: int = 12,
        resend: bool = True,
        # Timeouts, in seconds
        open_timeout: float = 10.0,
        ready_timeout: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        scheme = urlsplit(url).scheme
        if scheme not in ("ws", "wss"):
            raise ValueError(f"a session URL starts with ws:// or wss://, got {url!r}")
        self.url = url
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._tools = dict(tools) if tools is not None else None
        self._inbound = Inbound(last_seq=last_seq or 0, resume_token=resume_token)
        self._framer = InputFramer()
        self._pending = Pending(enabled=resend)
        self._stream = new_stream_id() if resend else None
        self._reconnect = reconnect
        self._max_attempts = max_reconnect_attempts
        self._open_timeout = open_timeout
        self._ready_timeout = ready_timeout
        self._rng = rng
        self._queue: asyncio.Queue[InboundEvent | ConnectionReconnecting | _End] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._connected = asyncio.Event()
        self._ready: asyncio.Future[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._tool_tasks: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        self._finished: _End | None = None

    # --- State ------------------------------------------------------------------

    @property
    def websocket(self) -> ClientConnection | None:
        """The current socket (None while reconnecting); for diagnostics and tests."""
        return self._ws

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last server event received (the connection reads ahead of the
        iterator, so this may be past the event the caller is looking at)."""
        return self._inbound.last_seq

    @property
    def resume_token(self) -> str | None:
        """The token that lets a later connection resume after ``last_seq``."""
        return self._inbound.resume_token

    @property
    def output_sample_rate(self) -> int:
        """Sample rate of the agent's audio, from the session's settings."""
        return self._inbound.sample_rate

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def unacknowledged(self) -> int:
        """Client events sent but not yet acknowledged by the server (sent again on resume)."""
        return len(self._pending)

    # --- Lifecycle --------------------------------------------------------------

    async def __aenter__(self) -> AsyncSessionConnection:
        await self.open()
        return self

    async def open(self) -> None:
        """Open the socket and wait for the server's first event."""
        if self._runner is not None:
            raise RuntimeError("this session connection was already opened")
        self._ready = asyncio.get_running_loop().create_future()
        self._runner = asyncio.create_task(self._run(), name=f"nur-session {self.url}")
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), self._ready_timeout)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the socket (code 1000) and stop reconnecting; the iterator ends."""
        self._closing = True
        for task in list(self._tool_tasks.values()):
            task.cancel()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        self._finish(None)

    # --- Iterating --------------------------------------------------------------

    def __aiter__(self) -> AsyncSessionConnection:
        return self

    async def __anext__(self) -> InboundEvent | ConnectionReconnecting:
        item = await self._queue.get()
        if isinstance(item, _End):
            self._queue.put_nowait(item)  # every later call ends too
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    # --- Sending ----------------------------------------------------------------

    async def send_audio(self, pcm: bytes | bytearray | memoryview) -> None:
        """Stream 16 kHz mono PCM16 LE of any length; it is cut into 20-40 ms frames.

        Audio sent while the socket is reconnecting is dropped: it is live speech, and
        late speech is worse than a gap.
        """
        for frame in self._framer.push(pcm):
            await self._send(frame, wait=False)

    async def send_text(self, text: str) -> None:
        """A typed user turn (``input.text``)."""
        await self.send_event(InputText(text=text))

    async def commit(self) -> None:
        """End the user's turn now (push-to-talk): sends buffered audio, then the commit."""
        for frame in self._framer.flush():
            await self._send(frame, wait=False)
        await self.send_event(InputAudioCommit())

    async def clear(self) -> None:
        """Drop the user audio of the turn so far (``input_audio.clear``)."""
        self._framer.flush()
        await self.send_event(InputAudioClear())

    async def cancel(self) -> None:
        """Stop the agent's current response (``response.cancel``)."""
        await self.send_event(ResponseCancel())

    async def end(self) -> None:
        """End the session (``session.end``): the server answers ``session.ended`` with
        reason ``client_ended``, marks the session ended and closes the socket."""
        await self.send_event(SessionEnd())

    async def update(self, **settings: Any) -> None:
        """Change session settings (``session.update``), e.g. ``turn_detection={...}``."""
        await self.send_event(SessionUpdate(session=settings))

    async def send_tool_result(self, call_id: str, output: Any, *, is_error: bool = False) -> None:
        """Answer a ``tool.call`` by hand (when it is not answered by ``tools=``); ``output``
        is made JSON-safe first (see ``json_safe``)."""
        result = ToolResult(call_id=call_id, output=json_safe(output), is_error=is_error)
        await self.send_event(result)

    async def send_event(self, event: ClientEvent) -> None:
        """Send any client event; waits for the socket while it reconnects. The event is
        kept until the server acknowledges it, and sent again if the socket drops first."""
        if self._finished is not None:
            raise SessionConnectionError("the session connection is closed")
        kept = self._pending.enabled
        await self._send(self._pending.add(event), wait=True, kept=kept)

    async def _send(self, message: str | bytes, *, wait: bool, kept: bool = False) -> None:
        while True:
            if self._finished is not None:
                raise SessionConnectionError("the session connection is closed")
            ws = self._ws
            # Events wait for the resend of older ones (``_connected``); audio goes at once.
            if ws is not None and (self._connected.is_set() or not wait):
                try:
                    await ws.send(message)
                    return
                except ConnectionClosed:
                    if not wait or kept:  # a kept event goes again on the next socket
                        return
                if self._ws is ws:  # before the reader task notices the close
                    self._ws = None
                    self._connected.clear()
                continue
            if not wait:
                return
            await self._connected.wait()
            if kept:  # sent by the resend of the new connection
                if self._finished is not None:
                    raise SessionConnectionError("the session connection is closed")
                return

    # --- The socket's task ------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        try:
            while True:
                try:
                    ws = await connect(
                        self._connect_url(),
                        additional_headers=self._headers,
                        open_timeout=self._open_timeout,
                        max_size=MAX_FRAME_BYTES,
                        compression=None,  # PCM does not compress; deflate only costs CPU
                    )
                except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                    if self._ready is not None and not self._ready.done():
                        raise SessionConnectionError(
                            f"cannot open the session socket at {self.url}: {exc}"
                        ) from exc
                    closed = _Closed(code=None, reason=f"{type(exc).__name__}: {exc}")
                else:
                    closed = await self._read(ws)
                    if closed.got_events:
                        attempt = 0
                step = after_close(
                    closed.code, fatal_error=closed.fatal is not None, closing=self._closing
                )
                if step == "end":
                    self._finish(None)
                    return
                if step == "fail" or not self._reconnect:
                    if closed.fatal is not None:
                        self._queue.put_nowait(closed.fatal)
                    reason = closed.fatal.message if closed.fatal is not None else closed.reason
                    self._finish(SessionClosedError(closed.code, reason))
                    return
                if step == "fresh":
                    self._inbound.resume_token = None
                attempt += 1
                if attempt > self._max_attempts:
                    last = f"code {closed.code}: {closed.reason}" if closed.code else closed.reason
                    self._finish(ReconnectFailedError(self._max_attempts, last))
                    return
                delay = reconnect_delay(attempt, rng=self._rng)
                self._queue.put_nowait(
                    ConnectionReconnecting(
                        attempt=attempt, delay=delay, code=closed.code, reason=closed.reason
                    )
                )
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._finish(exc)

    async def _read(self, ws: ClientConnection) -> _Closed:
        """Read ``ws`` until it closes, queueing its events.

        A fatal ``error`` is held back until the close code is known: before a resume
        rejection (4011) it is noise, as the connection starts afresh.
        """
        self._ws = ws
        self._framer.reset()
        got_events = False
        fatal: Error | None = None
        try:
            async for message in ws:
                if isinstance(message, str):
                    events = self._inbound.text(message)
                else:
                    events = self._inbound.binary(message)
                for event in events:
                    if isinstance(event, Error) and event.fatal:
                        fatal = event
                        continue
                    if isinstance(event, Ack):
                        self._pending.ack(event.client_seq)
                        continue
                    if isinstance(event, SessionCreated | ConnectionResumed):
                        await self._resend(ws, event.client_seq)
                    got_events = True
                    if isinstance(event, ToolCall):
                        self._answer(event)
                    self._queue.put_nowait(event)
                if got_events and self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
            self._connected.clear()
        code = ws.close_code if ws.close_code is not None else 1006
        return _Closed(code=code, reason=ws.close_reason or "", got_events=got_events, fatal=fatal)

    async def _resend(self, ws: ClientConnection, client_seq: int | None) -> None:
        """The server said what it applied: send again, in order, what it did not, then let
        new events through (``_connected``)."""
        self._pending.server_acks(client_seq)
        for _, text in self._pending.unacknowledged():
            await ws.send(text)  # a ConnectionClosed ends this socket's reading
        self._connected.set()

    def _connect_url(self) -> str:
        return connect_url(
            self.url,
            last_seq=self._inbound.last_seq,
            resume_token=self._inbound.resume_token,
            client_stream=self._stream,
        )

    # --- Tools ------------------------------------------------------------------

    def _answer(self, call: ToolCall) -> None:
        if self._tools is None or call.call_id in self._tool_tasks:
            return
        self._tool_tasks[call.call_id] = asyncio.create_task(
            self._run_tool(call), name=f"nur-tool {call.name} {call.call_id}"
        )

    async def _run_tool(self, call: ToolCall) -> None:
        assert self._tools is not None
        outcome = await call_tool(self._tools, call.name, call.arguments)
        with contextlib.suppress(SessionConnectionError):
            await self.send_tool_result(call.call_id, outcome.output, is_error=outcome.is_error)

    # --- Ending -----------------------------------------------------------------

    def _finish(self, error: BaseException | None) -> None:
        if self._finished is not None:
            return
        self._finished = _End(error)
        self._queue.put_nowait(self._finished)
        self._connected.set()  # wakes senders waiting for a reconnect: they raise
        if self._ready is not None and not self._ready.done():
            if error is not None:
                self._ready.set_exception(error)
            else:
                self._ready.set_exception(SessionConnectionError("closed before the first event"))
