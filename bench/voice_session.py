"""What the voice benchmarks drive: a real server subprocess and a session client.

``Server`` runs ``nur-notebook serve`` on 127.0.0.1 (a free port, a temporary data
directory) and samples its RSS; ``BenchSession`` talks to one session over its WebSocket,
typing or speaking one turn at a time (speech at real time, then silence) and timing
each turn from the end of the user's input to the first agent audio frame. Tool calls
are answered at once with a small result, so a reply that calls a tool still finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import psutil
import websockets

from nur_notebook.protocol.events import InputText, ToolResult, decode_server_event, encode_event
from nur_notebook.protocol.frames import AudioFrame, FrameKind, encode_frame

FRAME_BYTES = 640  # 20 ms at 16 kHz PCM16
PAD_S = 0.3  # silence espeak output is padded with on each side
METRIC_FIELDS = (
    "voice_to_voice_ms",
    "stt_ms",
    "llm_first_token_ms",
    "llm_first_sentence_ms",
    "tts_first_audio_ms",
)


@dataclass
class Turn:
    """One turn: client-side latency (end of input -> first agent audio) and server metrics."""

    client_ms: float
    metrics: dict[str, Any]
    #: The tools the reply called (each call adds a round to the reply).
    tools: tuple[str, ...] = ()
    #: What the server heard (spoken turns) and what the agent said.
    heard: str = ""
    said: str = ""


def speech(text: str, workdir: Path) -> bytes:
    """``text`` spoken by eSpeak NG as 16 kHz PCM16, with ``PAD_S`` of silence each side."""
    workdir.mkdir(parents=True, exist_ok=True)
    wav, raw = workdir / "q.wav", workdir / "q.raw"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), text], check=True)
    subprocess.run(
        ["sox", "-v", "0.8", str(wav), "-r", "16000", "-c", "1", "-b", "16",
         "-e", "signed-integer", "-t", "raw", str(raw)],
        check=True,
    )  # fmt: skip
    pad = b"\x00\x00" * int(16_000 * PAD_S)
    return pad + raw.read_bytes() + pad


class Server:
    """``nur-notebook serve`` in a subprocess (``extra``: more ``serve`` options)."""

    def __init__(self, data_dir: Path, extra: list[str]) -> None:
        self.data_dir = data_dir
        self.log = (data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nur_notebook.cli", "serve", "--port", "0",
             "--data-dir", str(data_dir), *extra],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        info = data_dir / "server.json"
        while not info.exists():
            if self.process.poll() is not None:
                raise SystemExit((data_dir / "server.log").read_text())
            time.sleep(0.1)
        self.base_url = json.loads(info.read_text())["base_url"]
        self.key = (data_dir / "api_key").read_text().strip()
        self.peak_rss = 0
        self.http = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )

    def sample_rss(self) -> int:
        rss = int(psutil.Process(self.process.pid).memory_info().rss)
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    def new_agent(self, prompt: str, tools: list[dict[str, Any]] | None = None) -> str:
        """Create an agent (a new agent version); its id."""
        body: dict[str, Any] = {"name": "Bench", "voice_id": "joe", "system_prompt": prompt}
        if tools:
            body["tools"] = tools
        response = self.http.post("/v1/agents/create", json=body)
        response.raise_for_status()
        agent_id: str = response.json()["id"]
        return agent_id

    def new_session(self, agent_id: str) -> str:
        """Create a session of ``agent_id`` over REST; its WebSocket URL."""
        response = self.http.post(f"/v1/agents/{agent_id}/sessions", json={})
        response.raise_for_status()
        url: str = response.json()["websocket_url"]
        return url

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class BenchSession:
    """One session's WebSocket: ``async with BenchSession(server, url) as s: await s.typed(..)``."""

    def __init__(self, server: Server, url: str, *, ready_s: float = 600) -> None:
        self._server = server
        self._url = url
        self._ready_s = ready_s
        self._queue: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BenchSession:
        headers = {"Authorization": f"Bearer {self._server.key}"}
        self._ws = await websockets.connect(
            self._url, additional_headers=headers, max_size=2**22
        ).__aenter__()
        self._reader = asyncio.create_task(self._read())
        while True:
            _, event = await asyncio.wait_for(self._queue.get(), self._ready_s)
            if getattr(event, "type", "") == "session.created":
                return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._ws.__aexit__(kind, exc, tb)

    async def _read(self) -> None:
        async for message in self._ws:
            now = time.monotonic()
            if isinstance(message, bytes):
                await self._queue.put((now, ("audio",)))
            else:
                await self._queue.put((now, decode_server_event(message)))

    async def typed(self, text: str) -> Turn:
        """Send ``text`` as a typed turn; time it from the send to the first audio."""
        sent = time.monotonic()
        await self._ws.send(encode_event(InputText(text=text)))
        return await self._finish(sent, keep_alive=False)

    async def spoken(self, pcm: bytes) -> Turn:
        """Speak ``pcm`` at real time, then silence; time it from the end of the speech."""
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(pcm), FRAME_BYTES)):
            frame = AudioFrame(kind=FrameKind.INPUT, pcm=pcm[offset : offset + FRAME_BYTES])
            await self._ws.send(encode_frame(frame))
            due = started + (index + 1) * FRAME_BYTES / 32_000
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        speech_end = started + (len(pcm) / 32_000 - PAD_S)
        return await self._finish(speech_end, keep_alive=True)

    async def _finish(self, since: float, *, keep_alive: bool) -> Turn:
        """Wait for the turn's metrics and the end of its response (sending silence while
        speaking, as a microphone would)."""
        silence = encode_frame(AudioFrame(kind=FrameKind.INPUT, pcm=b"\x00\x00" * 320))
        first_audio: float | None = None
        metrics: dict[str, Any] | None = None
        tools: list[str] = []
        heard, said = "", []
        done = False
        while not (done and metrics is not None):
            if keep_alive:
                try:
                    at, event = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    await self._ws.send(silence)
                    await asyncio.sleep(0.02)
                    continue
            else:
                at, event = await self._queue.get()
            if isinstance(event, tuple):
                first_audio = first_audio or at
            elif event.type == "metrics.turn":
                metrics = {k: getattr(event, k) for k in METRIC_FIELDS}
            elif event.type == "response.done":
                done = True
            elif event.type == "transcript.user.final":
                heard = event.text
            elif event.type == "transcript.agent.final":
                said.append(event.text)
            elif event.type == "tool.call":
                tools.append(event.name)
                result = ToolResult(call_id=event.call_id, output={"ok": True})
                await self._ws.send(encode_event(result))
            elif event.type == "error":
                print(f"  error from server: {event.code}: {event.message}", file=sys.stderr)
        latency = ((first_audio or since) - since) * 1000
        return Turn(
            client_ms=latency,
            metrics=metrics or {},
            tools=tuple(tools),
            heard=heard,
            said=" ".join(said),
        )
