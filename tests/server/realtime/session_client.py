"""A small test client for the session WebSocket, built on ``websockets`` + the codec.

It records every server event and output audio frame in arrival order, so tests can
wait for an event and then look at everything that came before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from nur_notebook.protocol.events import decode_server_event
from nur_notebook.protocol.frames import AudioFrame, FrameKind, decode_frame, encode_frame

FRAME_BYTES = 1280  # 40 ms of 16 kHz PCM16


@dataclass
class Received:
    events: list[Any] = field(default_factory=list)
    audio: list[AudioFrame] = field(default_factory=list)


class SessionClient:
    """One connection to a session; ``events`` and ``audio`` fill up as frames arrive."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.got = Received()
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self.close_code: int | None = None
        self._in_seq = 0

    @classmethod
    async def connect(
        cls,
        ws_url: str,
        key: str | None,
        *,
        last_seq: int | None = None,
        resume_token: str | None = None,
    ) -> SessionClient:
        url = ws_url
        if last_seq is not None:
            url += "&" if "?" in url else "?"
            url += f"last_seq={last_seq}&resume_token={resume_token}"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        ws = await websockets.connect(url, additional_headers=headers, max_size=2**22)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    self.got.audio.append(decode_frame(message, expect=FrameKind.OUTPUT))
                else:
                    self.got.events.append(decode_server_event(message))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self._changed.set()

    @property
    def events(self) -> list[Any]:
        return self.got.events

    def of_type(self, kind: str) -> list[Any]:
        return [e for e in self.got.events if e.type == kind]

    async def wait_for(
        self,
        kind: str,
        predicate: Callable[[Any], bool] = lambda _e: True,
        *,
        within: float = 180.0,
        start: int = 0,
    ) -> Any:
        """The first event of ``kind`` (from index ``start``) matching ``predicate``."""
        deadline = time.monotonic() + within
        while True:
            for event in self.got.events[start:]:
                if event.type == kind and predicate(event):
                    return event
            if self._reader.done():
                raise AssertionError(f"closed ({self.close_code}) before {kind}: {self.summary()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind} within {within} s: {self.summary()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_audio(self, generation: int, *, within: float = 60.0) -> None:
        """Until the first output frame of ``generation`` has arrived."""
        deadline = time.monotonic() + within
        while not any(f.generation == generation for f in self.got.audio):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._reader.done():
                raise AssertionError(f"no audio of generation {generation}: {self.summary()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_closed(self, *, within: float = 30.0) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        return self.close_code

    def summary(self) -> str:
        return ", ".join(f"{e.seq}:{e.type}" for e in self.got.events[-30:])

    async def send(self, event: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(event))

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def send_audio(self, pcm: bytes, *, realtime: bool = True) -> None:
        """Stream PCM16 16 kHz audio as 40 ms input frames, at real time by default."""
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(pcm), FRAME_BYTES)):
            chunk = pcm[offset : offset + FRAME_BYTES]
            frame = AudioFrame(kind=FrameKind.INPUT, pcm=chunk, seq=self._in_seq)
            self._in_seq += 1
            await self.ws.send(encode_frame(frame))
            if realtime:
                due = started + (index + 1) * FRAME_BYTES / 32_000
                await asyncio.sleep(max(0.0, due - time.monotonic()))

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._reader, 5)

    async def drop(self) -> None:
        """Cut the TCP connection without a closing handshake (a network failure)."""
        transport = self.ws.transport
        transport.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._reader, 5)
