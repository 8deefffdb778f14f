"""The session connection for plain scripts: blocking methods and a plain iterator.

It delivers client events as the async connection does: numbered, kept until the server
acknowledges them, and sent again after a reconnect (``resend=False`` turns that off).

``SessionConnection`` runs an ``AsyncSessionConnection`` on an asyncio loop in a daemon
thread of its own, so a script without ``async`` can talk to an agent:

    >>> with client.agents.sessions.connect(session) as conn:   # doctest: +SKIP
    ...     conn.send_text("hello")
    ...     for event in conn:
    ...         print(event.type)
    ...         if event.type == "response.done":
    ...             break
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from nur_notebook.client.base import Closing
from nur_notebook.protocol.events import ClientEvent
from nur_notebook.realtime.connection import AsyncSessionConnection
from nur_notebook.realtime.events import ConnectionReconnecting
from nur_notebook.realtime.inbound import InboundEvent

T = TypeVar("T")
Event = InboundEvent | ConnectionReconnecting

#: How long a blocking method waits for the loop thread before giving up, in seconds.
CALL_TIMEOUT = 60.0


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class SessionConnection(Closing):
    """Blocking twin of ``AsyncSessionConnection``; takes the same arguments."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self._options = options
        # The loop and its thread are made by ``open``: an unopened connection holds nothing.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._events: queue.Queue[Event | _End] = queue.Queue()
        self._conn: AsyncSessionConnection | None = None
        self._pump_future: concurrent.futures.Future[None] | None = None
        self._end: _End | None = None

    def __enter__(self) -> SessionConnection:
        self.open()
        return self

    def open(self) -> None:
        """Start the loop thread, open the socket and wait for the first event."""
        if self._loop is not None:
            raise RuntimeError("this session connection was already opened")
        self._loop = loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="nur-session", daemon=True)
        self._thread.start()
        try:
            self._conn = self._call(self._open(), timeout=None)
        except BaseException:
            self._stop_loop()
            raise
        self._pump_future = asyncio.run_coroutine_threadsafe(self._pump(self._conn), loop)

    async def _open(self) -> AsyncSessionConnection:
        conn = AsyncSessionConnection(self.url, **self._options)
        await conn.open()
        return conn

    async def _pump(self, conn: AsyncSessionConnection) -> None:
        try:
            async for event in conn:
                self._events.put(event)
        except Exception as exc:
            self._events.put(_End(exc))
        else:
            self._events.put(_End(None))

    # --- Iterating --------------------------------------------------------------

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return self.recv()

    def recv(self, timeout: float | None = None) -> Event:
        """The next event; ``TimeoutError`` after ``timeout`` s, ``StopIteration`` at the end."""
        if self._end is not None:
            return self._raise_end(self._end)
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no session event within {timeout} s") from None
        if isinstance(item, _End):
            self._end = item
            return self._raise_end(item)
        return item

    @staticmethod
    def _raise_end(end: _End) -> Event:
        if end.error is not None:
            raise end.error
        raise StopIteration

    # --- Sending ----------------------------------------------------------------

    def send_audio(self, pcm: bytes | bytearray | memoryview) -> None:
        """Stream 16 kHz mono PCM16 LE of any length."""
        self._call(self._require().send_audio(bytes(pcm)))

    def send_text(self, text: str) -> None:
        self._call(self._require().send_text(text))

    def commit(self) -> None:
        self._call(self._require().commit())

    def clear(self) -> None:
        self._call(self._require().clear())

    def cancel(self) -> None:
        self._call(self._require().cancel())

    def end(self) -> None:
        self._call(self._require().end())

    def update(self, **settings: Any) -> None:
        self._call(self._require().update(**settings))

    def send_tool_result(self, call_id: str, output: Any, *, is_error: bool = False) -> None:
        self._call(self._require().send_tool_result(call_id, output, is_error=is_error))

    def send_event(self, event: ClientEvent) -> None:
        self._call(self._require().send_event(event))

    # --- State and closing ------------------------------------------------------

    @property
    def last_seq(self) -> int:
        return self._require().last_seq

    @property
    def resume_token(self) -> str | None:
        return self._require().resume_token

    @property
    def output_sample_rate(self) -> int:
        return self._require().output_sample_rate

    @property
    def unacknowledged(self) -> int:
        """Client events sent but not yet acknowledged (sent again after a reconnect)."""
        return self._require().unacknowledged

    @property
    def async_connection(self) -> AsyncSessionConnection:
        """The connection underneath (its methods must run on ``loop``)."""
        return self._require()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the connection runs on (in its own thread)."""
        if self._loop is None:
            raise RuntimeError("the session connection is not open")
        return self._loop

    def close(self) -> None:
        """Close the socket and stop the loop thread; safe to call twice."""
        if self._conn is not None and self._loop is not None and not self._loop.is_closed():
            self._call(self._conn.close())
            if self._pump_future is not None:
                with contextlib.suppress(Exception):
                    self._pump_future.result(timeout=CALL_TIMEOUT)
        self._stop_loop()

    def _stop_loop(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if self._thread is not None and self._thread.is_alive():
            # Tool functions run on the loop's default executor: let them finish first.
            with contextlib.suppress(Exception):
                self._call(loop.shutdown_default_executor())
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=10)
        loop.close()

    def _require(self) -> AsyncSessionConnection:
        if self._conn is None:
            raise RuntimeError("the session connection is not open")
        return self._conn

    def _call(self, coro: Coroutine[Any, Any, T], *, timeout: float | None = CALL_TIMEOUT) -> T:
        if self._loop is None or self._loop.is_closed():
            coro.close()
            raise RuntimeError("the session connection is not open")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("blocking session methods cannot run on the session's own loop")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)
