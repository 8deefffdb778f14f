"""Voice-to-voice latency of the local server, stage by stage, one session and four.

Starts a real server (``nur-notebook serve`` on 127.0.0.1, a free port, a temporary data
directory), waits for its engines, then speaks N questions made by eSpeak NG into a
session at real time and records, per turn:

- ``v2v (client)``: end of the user's speech in the sent audio -> first agent audio frame
  received, measured by this script;
- the server's ``metrics.turn``: voice-to-voice (last voiced frame -> first audio frame
  sent), STT, brain first token / first sentence, TTS first audio.

The first turn of each session is reported apart (cold caches); p50/p90 are over the
rest. Then the same with four sessions at once (their starts staggered by
``--stagger`` seconds: four people, not one script speaking in unison). The server's
peak RSS is sampled throughout. All sessions share one LLM, which decodes their
replies together in one batch and keeps each session's prompt in its KV cache.

    python3 bench/voice_latency.py --turns 6
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

from nur_notebook.protocol.events import decode_server_event
from nur_notebook.protocol.frames import AudioFrame, FrameKind, encode_frame

QUESTIONS = (
    "Hello, what are your opening hours?",
    "Do you sell running shoes?",
    "Can I pay with a credit card?",
    "How long does delivery take?",
    "Do you have a store in Berlin?",
    "Can I return an item after a month?",
    "Is there a discount for students?",
    "Thanks, that is all for today.",
)
PROMPT = (
    "You are a friendly assistant for a shoe shop. Answer every question in one short"
    " sentence of at most fifteen words."
)
FRAME_BYTES = 640  # 20 ms at 16 kHz PCM16
PAD_S = 0.3  # silence espeak output is padded with on each side
TARGET_V2V_P50_MS = 2500
TARGET_RSS_BYTES = 3 * 1024**3


@dataclass
class Turn:
    client_v2v_ms: float
    metrics: dict[str, Any]


@dataclass
class Run:
    turns: list[list[Turn]] = field(default_factory=list)  # per session


def speech(text: str, workdir: Path) -> bytes:
    wav = workdir / "q.wav"
    raw = workdir / "q.raw"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), text], check=True)
    subprocess.run(
        ["sox", "-v", "0.8", str(wav), "-r", "16000", "-c", "1", "-b", "16",
         "-e", "signed-integer", "-t", "raw", str(raw)],
        check=True,
    )  # fmt: skip
    pad = b"\x00\x00" * int(16_000 * PAD_S)
    return pad + raw.read_bytes() + pad


class Server:
    """``nur-notebook serve`` in a subprocess."""

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

    def sample_rss(self) -> int:
        rss = int(psutil.Process(self.process.pid).memory_info().rss)
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    def new_session(self) -> str:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as http:
            agent = http.post(
                "/v1/agents/create",
                json={"name": "Bench", "voice_id": "joe", "system_prompt": PROMPT},
            ).json()
            session = http.post(f"/v1/agents/{agent['id']}/sessions", json={}).json()
        url: str = session["websocket_url"]
        return url

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


async def run_session(
    server: Server, audio: list[bytes], *, delay_s: float = 0.0, ready: float = 600
) -> list[Turn]:
    url = server.new_session()
    await asyncio.sleep(delay_s)
    headers = {"Authorization": f"Bearer {server.key}"}
    turns: list[Turn] = []
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        queue: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()

        async def read() -> None:
            async for message in ws:
                now = time.monotonic()
                if isinstance(message, bytes):
                    await queue.put((now, ("audio",)))
                else:
                    await queue.put((now, decode_server_event(message)))

        reader = asyncio.create_task(read())
        while True:
            _, event = await asyncio.wait_for(queue.get(), ready)
            if getattr(event, "type", "") == "session.created":
                break
        seq = 0
        for pcm in audio:
            started = time.monotonic()
            for index, offset in enumerate(range(0, len(pcm), FRAME_BYTES)):
                frame = AudioFrame(kind=FrameKind.INPUT, pcm=pcm[offset : offset + FRAME_BYTES])
                await ws.send(encode_frame(frame))
                seq += 1
                due = started + (index + 1) * FRAME_BYTES / 32_000
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            speech_end = started + (len(pcm) / 32_000 - PAD_S)
            silence = b"\x00\x00" * 320
            first_audio: float | None = None
            metrics: dict[str, Any] | None = None
            done = False
            while not (done and metrics is not None):
                try:
                    at, event = queue.get_nowait()
                except asyncio.QueueEmpty:
                    await ws.send(encode_frame(AudioFrame(kind=FrameKind.INPUT, pcm=silence)))
                    await asyncio.sleep(0.02)
                    continue
                if isinstance(event, tuple):
                    if first_audio is None:
                        first_audio = at
                elif event.type == "metrics.turn":
                    metrics = {k: getattr(event, k) for k in METRIC_FIELDS}
                elif event.type == "response.done":
                    done = True
                elif event.type == "error":
                    print(f"  error from server: {event.code}: {event.message}", file=sys.stderr)
            client_v2v = ((first_audio or speech_end) - speech_end) * 1000
            turns.append(Turn(client_v2v_ms=client_v2v, metrics=metrics or {}))
            print(
                f"  turn {len(turns)}: client v2v {client_v2v:7.0f} ms, server "
                + ", ".join(f"{k}={v}" for k, v in (metrics or {}).items()),
                flush=True,
            )
        reader.cancel()
    return turns


METRIC_FIELDS = (
    "voice_to_voice_ms",
    "stt_ms",
    "llm_first_token_ms",
    "llm_first_sentence_ms",
    "tts_first_audio_ms",
)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def table(title: str, sessions: list[list[Turn]]) -> dict[str, float]:
    later = [t for turns in sessions for t in turns[1:]]
    first = [t for turns in sessions for t in turns[:1]]
    rows = [("v2v (client)", [t.client_v2v_ms for t in later], [t.client_v2v_ms for t in first])]
    for name in METRIC_FIELDS:
        rows.append(
            (
                name.removesuffix("_ms"),
                [t.metrics[name] for t in later if t.metrics.get(name) is not None],
                [t.metrics[name] for t in first if t.metrics.get(name) is not None],
            )
        )
    print(f"\n{title}: {len(later)} turns after the first (+{len(first)} first turns)")
    print(f"| {'stage':<22} | {'p50 ms':>8} | {'p90 ms':>8} | {'first turn ms':>13} |")
    print(f"|{'-' * 24}|{'-' * 10}|{'-' * 10}|{'-' * 15}|")
    out = {}
    for name, values, firsts in rows:
        p50, p90 = pct(values, 50), pct(values, 90)
        out[name] = p50
        head = statistics.median(firsts) if firsts else float("nan")
        print(f"| {name:<22} | {p50:8.0f} | {p90:8.0f} | {head:13.0f} |")
    return out


async def sample_rss(server: Server, stop: asyncio.Event) -> None:
    while not stop.is_set():
        server.sample_rss()
        await asyncio.sleep(0.25)


async def main_async(args: argparse.Namespace, server: Server) -> int:
    workdir = server.data_dir
    started = time.monotonic()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, stop))
    try:
        audio = []
        for index in range(args.turns):
            (workdir / "q").mkdir(exist_ok=True)
            audio.append(speech(QUESTIONS[index % len(QUESTIONS)], workdir / "q"))
        print(f"server at {server.base_url}; {args.turns} spoken turns per session")
        print("one session:")
        single = await run_session(server, audio)
        print(f"(server up and engines loaded after {time.monotonic() - started:.0f} s)")
        print(f"{args.sessions} sessions at once:")
        many = await asyncio.gather(
            *(
                run_session(server, audio[i:] + audio[:i], delay_s=i * args.stagger)
                for i in range(args.sessions)
            )
        )
    finally:
        stop.set()
        await sampler
    one = table("One session", [single])
    four = table(f"{args.sessions} concurrent sessions", list(many))
    rss_gb = server.peak_rss / 1024**3
    ratio = four["v2v (client)"] / one["v2v (client)"]
    print(f"\npeak server RSS: {rss_gb:.2f} GB (target < 3 GB)")
    print(
        f"v2v p50 after the first turn: {one['v2v (client)']:.0f} ms client-side,"
        f" {one['voice_to_voice']:.0f} ms server-side (target < {TARGET_V2V_P50_MS} ms)"
    )
    print(f"{args.sessions} sessions / one session, v2v p50: {ratio:.2f}x (target < 2x)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=6, help="spoken turns per session")
    parser.add_argument("--sessions", type=int, default=4, help="concurrent sessions")
    parser.add_argument(
        "--stagger",
        type=float,
        default=1.5,
        help="seconds between the starts of the concurrent sessions (0: all speak at once)",
    )
    parser.add_argument("--brain-url", default=None, help="an OpenAI-compatible brain")
    parser.add_argument("--llm-threads", type=int, default=None, help="threads of the local LLM")
    # SIGTERM unwinds like Ctrl-C, so the server subprocess is always stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    args = parser.parse_args()
    extra = ["--brain-url", args.brain_url] if args.brain_url else []
    if args.llm_threads:
        extra += ["--llm-threads", str(args.llm_threads)]
    server = Server(Path(tempfile.mkdtemp(prefix="nur-bench-")), extra)
    try:
        status = asyncio.run(main_async(args, server))
    finally:
        server.stop()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return status


if __name__ == "__main__":
    sys.exit(main())
