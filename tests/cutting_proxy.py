"""A TCP proxy on 127.0.0.1 that delays every byte and can cut its links on demand.

Imported by name (``from cutting_proxy import CuttingProxy``; this folder is on
``sys.path`` through its conftest). Each direction of each link holds what it read for
``latency`` seconds before writing it on, like a long network path; ``cut()`` aborts every
open link at once and throws away what was still on its way, like a link that dies (the
peers see a reset, not a clean close). Bytes a peer had written before the cut but the
other peer had not yet received are lost, which is exactly what a client must survive.

    >>> async def demo(port):                                     # doctest: +SKIP
    ...     async with CuttingProxy(target_port=port, latency=0.04) as proxy:
    ...         ...  # connect to proxy.port
    ...         await proxy.cut()
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any

from nur_notebook.client.base import AsyncClosing


class _Pipe:
    """One direction of one link: read, hold for ``latency``, write."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        latency: float,
        *,
        on_frame: asyncio.Event | None = None,
    ) -> None:
        self.reader, self.writer, self.latency = reader, writer, latency
        self.held: deque[tuple[float, bytes]] = deque()
        self.arrived = asyncio.Event()
        self._on_frame = on_frame
        self._head = b""

    async def read(self) -> None:
        while data := await self.reader.read(65_536):
            self.held.append((time.monotonic() + self.latency, data))
            self.arrived.set()
            self._look_for_frame(data)
        self.held.append((time.monotonic() + self.latency, b""))  # EOF, in order
        self.arrived.set()

    def _look_for_frame(self, data: bytes) -> None:
        """Set ``on_frame`` once a byte follows the HTTP upgrade response (a first frame)."""
        if self._on_frame is None or self._on_frame.is_set():
            return
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end >= 0 and len(self._head) > end + 4:
            self._on_frame.set()

    async def write(self) -> None:
        while True:
            while not self.held:
                self.arrived.clear()
                await self.arrived.wait()
            due, data = self.held[0]
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self.held.popleft()
            if not data:
                with contextlib.suppress(OSError):
                    self.writer.write_eof()
                return
            self.writer.write(data)
            await self.writer.drain()


async def _quiet(step: Coroutine[Any, Any, None]) -> None:
    """Run one pipe step; a peer's reset just ends it."""
    with contextlib.suppress(OSError, ConnectionError):
        await step


class _Link:
    def __init__(
        self,
        tasks: list[asyncio.Task[None]],
        writers: list[asyncio.StreamWriter],
        greeted: asyncio.Event,
    ) -> None:
        self.tasks, self.writers, self.greeted = tasks, writers, greeted

    def abort(self) -> None:
        for task in self.tasks:
            task.cancel()
        for writer in self.writers:
            writer.transport.abort()


class CuttingProxy(AsyncClosing):
    """Forwards ``127.0.0.1:port`` to ``127.0.0.1:target_port`` with ``latency`` each way."""

    def __init__(self, *, target_port: int, latency: float = 0.04) -> None:
        self.target_port = target_port
        self.latency = latency
        self.port = 0
        self.cuts = 0
        self._links: list[_Link] = []
        self._linked = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and drop every link."""
        assert self._server is not None
        self._server.close()
        for link in self._links:
            link.abort()
        self._links.clear()
        await self._server.wait_closed()

    @property
    def open_links(self) -> int:
        return sum(not all(t.done() for t in link.tasks) for link in self._links)

    async def linked(self) -> None:
        """Wait until a link is open."""
        while not self.open_links:
            self._linked.clear()
            await self._linked.wait()

    async def greeted(self) -> None:
        """Wait until an open link has carried the server's first WebSocket frame (for a
        session: ``session.created``, or the replay and ``session.resumed``), plus the
        latency, so the client has it too."""
        while True:
            await self.linked()
            link = self._links[-1]
            await link.greeted.wait()
            if not all(task.done() for task in link.tasks):
                await asyncio.sleep(self.latency)
                return

    async def cut(self) -> int:
        """Abort every open link, losing what is in flight; returns how many were cut."""
        cut = 0
        for link in self._links:
            if not all(task.done() for task in link.tasks):
                cut += 1
            link.abort()
        self._links.clear()
        self.cuts += cut
        await asyncio.sleep(0)
        return cut

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        greeted = asyncio.Event()
        pipes = [
            _Pipe(reader, up_writer, self.latency),
            _Pipe(up_reader, writer, self.latency, on_frame=greeted),
        ]
        tasks = [asyncio.create_task(_quiet(step())) for p in pipes for step in (p.read, p.write)]
        self._links.append(_Link(tasks, [writer, up_writer], greeted))
        self._links = [link for link in self._links if not all(t.done() for t in link.tasks)]
        self._linked.set()


def port_of(base_url: str) -> int:
    """The port of ``http://127.0.0.1:PORT``."""
    return int(base_url.rsplit(":", 1)[1].split("/")[0])


async def cut_while_answering(proxy: CuttingProxy, rng: random.Random, *, cuts: int) -> None:
    """Cut the link ``cuts`` times, each a random moment after it came back."""
    for _ in range(cuts):
        await proxy.greeted()  # never mid-handshake: each reconnect gets a session back
        await asyncio.sleep(rng.uniform(0.02, 0.3))
        await proxy.cut()


def check_nothing_lost_or_doubled(
    texts: list[str], seen: list[Any], stored: dict[str, Any]
) -> None:
    """Each of ``texts`` stored once, in order, answered once; deltas join to finals."""
    entries = stored["entries"]
    users = [e for e in entries if e["role"] == "user"]
    assert [e["text"] for e in users] == texts
    answers = [e for e in entries if e["role"] == "agent"]
    assert sorted(e["turn"] for e in answers) == sorted(e["turn"] for e in users)
    kinds = [e.type for e in seen]
    assert kinds.count("transcript.user.final") == len(texts)
    assert kinds.count("transcript.agent.final") == len(texts)
    seqs = [e.seq for e in seen if e.seq]
    assert seqs == sorted(set(seqs)), "an event was shown twice or out of order"
    for final in (e for e in seen if e.type == "transcript.agent.final"):
        deltas = [
            e.text
            for e in seen
            if e.type == "transcript.agent.delta" and e.response_id == final.response_id
        ]
        assert "".join(deltas).strip() == final.text.strip()
