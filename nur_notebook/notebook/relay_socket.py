"""The audio data plane beside the widget's comm: a WebSocket server inside the kernel.

A comm message costs ipykernel ~1.5 ms of Python (ZMQ, HMAC, busy/idle status on IOPub,
widget dispatch) and waits in the shell queue while a cell runs. Microphone frames (31 a
second) and agent audio therefore travel on their own WebSocket, served on 127.0.0.1 by the
bridge's asyncio loop (the loop that already carries every session connection), so a frame
goes from the browser to the session socket without a thread hop. The Jupyter server relays
the browser's socket to this one (``_server_ext.py``): browsers never reach the kernel's
loopback port themselves.

Each conversation widget registers an :class:`RelayEndpoint` with a random token; a
connection to ``ws://127.0.0.1:<port>/<token>`` attaches to it (a wrong token is closed with
code 4403). Messages on an attached socket:

- browser -> kernel, binary: a float64 LE wall-clock stamp (ms) then one PCM16 frame;
- browser -> kernel, text: a JSON ``control`` or ``pong`` message, as on the comm;
- kernel -> browser, binary: ``sample_rate`` (uint32 LE) and ``generation`` (int32 LE), then
  agent PCM16;
- kernel -> browser, text: a JSON ``flush`` or ``ping`` message, as on the comm.

Whatever the socket cannot carry (nobody attached, or it dropped) goes on the comm instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)

#: Browser -> kernel binary header: the browser's wall-clock stamp in ms.
MIC_HEADER = struct.Struct("<d")
#: Kernel -> browser binary header: sample rate and response generation.
AUDIO_HEADER = struct.Struct("<Ii")
#: Close code for a token nobody registered (or one already closed).
CLOSE_UNKNOWN_TOKEN = 4403
#: Largest message accepted from the browser (a frame is ~1 KiB).
MAX_MESSAGE_BYTES = 256 * 1024

FrameHandler = Callable[[bytes, float | None], None]
MessageHandler = Callable[[dict[str, Any]], None]
Fallback = Callable[[], None]


def on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the caller runs on ``loop``'s thread, inside the loop."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def parse_mic_frame(data: bytes) -> tuple[bytes, float | None]:
    """Split a browser message into PCM and stamp; ``ValueError`` when it is not a frame."""
    if len(data) < MIC_HEADER.size:
        raise ValueError(f"a {len(data)}-byte message is shorter than the frame header")
    pcm = data[MIC_HEADER.size :]
    if not pcm or len(pcm) % 2:
        raise ValueError(f"{len(pcm)} bytes of PCM16 (needs a positive even count)")
    (stamp,) = MIC_HEADER.unpack_from(data)
    return pcm, (stamp if stamp == stamp and stamp > 0 else None)  # NaN and 0: no stamp


def agent_audio_message(pcm: bytes, *, sample_rate: int, generation: int) -> bytes:
    """One kernel -> browser binary message of agent audio."""
    return AUDIO_HEADER.pack(sample_rate, generation) + pcm


class RelayEndpoint:
    """One conversation's place on the relay server: its token and attached sockets.

    ``on_frame(pcm, stamp_ms)`` and ``on_message(dict)`` run on the bridge loop's thread.
    ``send_*`` may be called from any thread; they return False (and send nothing) when no
    socket is attached, and call ``fallback`` if the socket goes away before the send.
    """

    def __init__(
        self,
        server: RelayServer,
        *,
        on_frame: FrameHandler,
        on_message: MessageHandler,
    ) -> None:
        self.token = secrets.token_urlsafe(24)
        self.port = server.port
        self._server = server
        self._on_frame = on_frame
        self._on_message = on_message
        self._links: list[_Link] = []
        self.frames = 0
        self.bad_messages = 0

    @property
    def attached(self) -> bool:
        """Whether a browser socket is attached now."""
        return bool(self._links)

    def send_audio(
        self, pcm: bytes, *, sample_rate: int, generation: int, fallback: Fallback
    ) -> bool:
        """Agent audio to the attached browser(s); False if none is attached."""
        message = agent_audio_message(pcm, sample_rate=sample_rate, generation=generation)
        return self._send(message, fallback)

    def send_json(self, message: dict[str, Any], *, fallback: Fallback) -> bool:
        """A JSON message (``flush``, ``ping``) in order with the audio; False if detached."""
        return self._send(json.dumps(message), fallback)

    def close(self) -> None:
        """Forget the token and close attached sockets (the browser falls back to the comm)."""
        self._server.unregister(self)
        for link in self._links:
            with contextlib.suppress(RuntimeError):  # the loop is gone
                asyncio.run_coroutine_threadsafe(
                    link.ws.close(CLOSE_UNKNOWN_TOKEN, "conversation closed"), self._server.loop
                )

    async def serve(self, ws: ServerConnection) -> None:
        """Carry one attached browser socket until it closes (on the loop)."""
        link = _Link(ws)
        self._links = [*self._links, link]
        writer = asyncio.create_task(link.write_forever())
        try:
            async for message in ws:
                self._receive(message)
        except ConnectionClosed:
            pass
        finally:
            self._links = [x for x in self._links if x is not link]
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await writer

    def _send(self, message: bytes | str, fallback: Fallback) -> bool:
        if not self._links:
            return False
        if on_loop(self._server.loop):
            self._write(message, fallback)
        else:
            try:
                self._server.loop.call_soon_threadsafe(self._write, message, fallback)
            except RuntimeError:  # the loop is gone
                return False
        return True

    def _write(self, message: bytes | str, fallback: Fallback) -> None:
        if not self._links:
            fallback()
            return
        for link in self._links:
            link.put(message)

    def _receive(self, message: bytes | str) -> None:
        try:
            if isinstance(message, bytes):
                pcm, stamp = parse_mic_frame(message)
                self.frames += 1
                self._on_frame(pcm, stamp)
                return
            content = json.loads(message)
            if not isinstance(content, dict):
                raise ValueError("a text message must be a JSON object")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            self.bad_messages += 1
            log.warning("relay socket: dropping a bad message: %s", exc)
            return
        self._on_message(content)


class _Link:
    """One attached browser socket with its ordered outbox and writer task."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self._queue: deque[bytes | str] = deque()
        self._wake = asyncio.Event()

    def put(self, message: bytes | str) -> None:
        self._queue.append(message)
        self._wake.set()

    async def write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self.ws.send(self._queue.popleft())


class RelayServer:
    """The kernel's relay WebSocket server on 127.0.0.1 (one per kernel: ``KernelLoop``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.port = 0
        self._endpoints: list[RelayEndpoint] = []
        self._server: Server | None = None

    async def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            compression=None,  # PCM does not compress; deflate would only cost CPU
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=None,  # loopback, behind the Jupyter server's own keep-alive
        )
        self.port = int(next(iter(self._server.sockets)).getsockname()[1])
        return self.port

    def register(self, *, on_frame: FrameHandler, on_message: MessageHandler) -> RelayEndpoint:
        """A new endpoint with a fresh token (thread-safe)."""
        endpoint = RelayEndpoint(self, on_frame=on_frame, on_message=on_message)
        self._endpoints = [*self._endpoints, endpoint]
        return endpoint

    def unregister(self, endpoint: RelayEndpoint) -> None:
        """Forget ``endpoint``: its token opens nothing any more (thread-safe)."""
        self._endpoints = [e for e in self._endpoints if e is not endpoint]

    def _find(self, token: str) -> RelayEndpoint | None:
        # Compare against every token, in constant time each, whatever matches.
        found = None
        wanted = token.encode()
        for endpoint in self._endpoints:
            if hmac.compare_digest(endpoint.token.encode(), wanted):
                found = endpoint
        return found

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else "/"
        endpoint = self._find(path.split("?", 1)[0].strip("/"))
        if endpoint is None:
            await ws.close(CLOSE_UNKNOWN_TOKEN, "unknown relay token")
            return
        await endpoint.serve(ws)
