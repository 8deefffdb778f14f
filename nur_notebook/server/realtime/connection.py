"""One live WebSocket of a session, with an outbox so any task can send without blocking.

Events and audio frames are queued and written by a single writer task in order; a
slow or dead peer never blocks the runtime. Closing drains what is queued first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

log = logging.getLogger(__name__)

#: Frames queued for a peer that does not read before it is dropped (about 20 s of audio).
OUTBOX_LIMIT = 2_000


class Socket(Protocol):
    """The part of a Starlette WebSocket this module uses."""

    async def send_text(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Connection:
    """A socket plus its outbox and writer task."""

    def __init__(self, socket: Socket, *, client_stream: str | None = None) -> None:
        self.socket = socket
        #: The client's event stream (``client_stream`` on the URL): see ``acks.py``.
        self.client_stream = client_stream
        self._outbox: asyncio.Queue[str | bytes | tuple[int, str]] = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._write())
        self.closed = asyncio.Event()
        self.close_code: int | None = None

    def send_text(self, text: str) -> None:
        self._put(text)

    def send_bytes(self, data: bytes) -> None:
        if self._outbox.qsize() < OUTBOX_LIMIT:
            self._put(data)

    def close(self, code: int, reason: str = "") -> None:
        """Send what is queued, then close with ``code``."""
        if self.close_code is None:
            self.close_code = code
            self._put((code, reason[:120]))

    def _put(self, item: str | bytes | tuple[int, str]) -> None:
        if not self.closed.is_set():
            self._outbox.put_nowait(item)

    async def _write(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, tuple):
                    code, reason = item
                    with contextlib.suppress(Exception):
                        await self.socket.close(code=code, reason=reason)
                    return
                if isinstance(item, str):
                    await self.socket.send_text(item)
                else:
                    await self.socket.send_bytes(item)
        except Exception as exc:  # the peer went away; the reader notices too
            log.debug("session socket write failed: %s", exc)
        finally:
            self.closed.set()

    async def wait_closed(self) -> None:
        await self.closed.wait()

    async def abort(self) -> None:
        """Stop the writer at once (the reader saw the peer disconnect)."""
        self.closed.set()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
