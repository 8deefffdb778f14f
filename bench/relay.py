"""What the kernel hop costs a live conversation: latency per audio frame, kernel and server CPU.

Runs JupyterLab and headless Chromium whose fake microphone loops an eSpeak NG WAV; the
conversation widget streams it through the kernel's SessionBridge and the real session
connection (``AsyncSessionConnection``) to a WebSocket sink on loopback that stamps every frame
as it arrives. Three set-ups:

- relay: the widget's relay socket (browser -> Jupyter server route -> kernel relay socket ->
  bridge, all on the bridge loop), server extension on;
- comm: the same widget forced onto the comm (``relay=False``), server extension on;
- stock: the server extension off (no relay route, Nagle on the kernel WebSocket): the widget
  falls back to the comm by itself.

Figures per set-up: per-frame latency browser capture -> sink (p50/p99) and its two parts;
added = relayed - direct, where direct is the same connection class sending the same frames
straight from this process; CPU (% of one core, minus the idle figure) of the kernel and of
the Jupyter server process while the microphone streams and while agent audio streams back
(40 ms chunks at real-time pace); the kernel -> browser latency of a small message sent right
after an agent-audio chunk (ping). Work moved out of the kernel shows up in the server's column.

The sink replaces only the session server (its engines would dominate the figures and are
benchmarked elsewhere); it answers with a ``session.created`` and keeps the frames' stamps.

    python3 bench/relay.py [--seconds 20]      (about four minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "browser"))

from browser_harness import (  # noqa: E402  (path set above)
    CHROMIUM,
    JupyterServer,
    chromium_args,
    kernel_eval,
    kernel_json,
    run_notebook,
    speech_wav,
)

from nur_notebook.protocol.frames import HEADER  # noqa: E402
from nur_notebook.realtime.connection import AsyncSessionConnection  # noqa: E402

FRAME_BYTES = 1024  # 32 ms of 16 kHz PCM16, what the widget sends

KERNEL_CELL = """\
import asyncio, os, threading, time
from nur_notebook.notebook.bridge import SessionBridge
from nur_notebook.notebook.kernel_loop import KERNEL
from nur_notebook.notebook.widget import ConversationWidget
from nur_notebook.realtime.connection import AsyncSessionConnection

class _Sessions:
    @staticmethod
    def connect(url, tools=None):
        return AsyncSessionConnection(url, tools=tools)

class SinkClient:
    class agents:
        sessions = _Sessions

w = ConversationWidget(agent={{"name": "relay bench"}}, status="listening", relay={relay})
stamps = []
w.on_mic_audio(lambda pcm: stamps.append((w.last_frame_t, time.time() * 1000)))
bridge = SessionBridge(SinkClient, "{url}", on_event=lambda e: None, on_audio=lambda *a: None)
w.on_mic_audio(bridge.send_audio)

async def _agent_voice(seconds, ping):
    # 40 ms chunks of agent audio at 22.05 kHz, pushed from the bridge loop at real-time pace,
    # as the Conversation does with the session's audio.
    chunk = bytes(1764)
    start = time.perf_counter()
    for i in range(int(seconds / 0.04)):
        w.push_audio(chunk, sample_rate=22050, generation=1)
        if ping:
            w.ping()
        delay = start + (i + 1) * 0.04 - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)

def agent_voice(seconds, ping=False):
    asyncio.run_coroutine_threadsafe(_agent_voice(seconds, ping), KERNEL.loop)

w
"""


class Sink:
    """A WebSocket that plays the session server's part: it stamps each audio frame."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[tuple[int, float]]] = {}  # (payload bytes, arrival ms)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        started.wait()

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            async with serve(self._handle, "127.0.0.1", 0) as server:
                self.port = next(iter(server.sockets)).getsockname()[1]
                started.set()
                await asyncio.Future()

        self._loop.run_until_complete(main())

    async def _handle(self, ws: ServerConnection) -> None:
        name = (ws.request.path if ws.request else "/").strip("/").split("?")[0]
        book = self.arrivals.setdefault(name, [])
        created = {"type": "session.created", "seq": 1, "session": {}, "resume_token": "bench"}
        await ws.send(json.dumps(created))
        with contextlib.suppress(ConnectionClosed):  # the kernel goes away with its server
            async for message in ws:
                if isinstance(message, bytes) and len(message) >= HEADER.size:
                    book.append((len(message) - HEADER.size, time.time() * 1000))

    def url(self, name: str) -> str:
        return f"ws://127.0.0.1:{self.port}/{name}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def message_arrivals(book: list[tuple[int, float]], message_bytes: int) -> list[float]:
    """When the last byte of each message of ``message_bytes`` reached the sink (the
    connection re-cuts audio into 20-40 ms frames, so count bytes, not frames)."""
    out: list[float] = []
    total = 0
    for size, arrival in book:
        total += size
        while total >= (len(out) + 1) * message_bytes:
            out.append(arrival)
    return out


def direct(sink: Sink, frames: int) -> list[float]:
    """Per-frame latency of the same connection class used directly, at real-time pace."""
    sent: list[float] = []

    async def run() -> None:
        async with AsyncSessionConnection(sink.url("direct")) as conn:
            start = time.perf_counter()
            for i in range(frames):
                delay = start + i * 0.032 - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent.append(time.time() * 1000)
                await conn.send_audio(bytes(FRAME_BYTES))
            await asyncio.sleep(0.3)

    asyncio.run(run())
    arrivals = message_arrivals(sink.arrivals.get("direct", []), FRAME_BYTES)
    return [a - t for a, t in zip(arrivals, sent, strict=False)]


def cpu_times(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def cpu_pct(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """% of one core each process used over ``seconds`` (measured at the same time)."""
    procs = {name: psutil.Process(pid) for name, pid in pids.items()}
    before = {name: cpu_times(p) for name, p in procs.items()}
    time.sleep(seconds)
    return {name: 100.0 * (cpu_times(p) - before[name]) / seconds for name, p in procs.items()}


def run_lab(pw: Any, sink: Sink, wav: Path, *, mode: str, seconds: float) -> dict[str, Any]:
    """One JupyterLab + Chromium run: stream ``seconds`` of speech, then agent audio back."""
    name = f"bench-{mode}"
    base = Path(tempfile.mkdtemp(prefix=f"nur-bench-relay-{mode}-"))
    server = JupyterServer("lab", base, nodelay=mode != "stock")
    browser = pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        # The WAV loops (no %noloop): speech for the whole run.
        args=[*chromium_args(None), f"--use-file-for-fake-audio-capture={wav}"],
    )
    try:
        cell = KERNEL_CELL.format(url=sink.url(name), relay=mode != "comm")
        page = browser.new_page()
        run_notebook(page, server, "bench.ipynb", [cell])
        page.locator(".nur-conv").wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # the relay socket opens (or fails) meanwhile
        pids = {"kernel": int(kernel_eval(page, "print(os.getpid())")), "server": server.proc.pid}
        idle = cpu_pct(pids, seconds / 2)

        page.get_by_role("button", name="Start microphone").click()
        page.wait_for_timeout(2000)  # warm-up
        mic = cpu_pct(pids, seconds)
        page.get_by_role("button", name="Stop microphone").click()
        page.wait_for_timeout(1000)
        transport = kernel_eval(page, "print(w.transport)").strip()

        stamps = kernel_json(page, "stamps")
        arrivals = message_arrivals(sink.arrivals.get(name, []), FRAME_BYTES)
        relayed, kernel_hop, uplink = [], [], []
        for (browser_t, kernel_t), arrival in zip(stamps, arrivals, strict=False):
            if browser_t is None:
                continue
            relayed.append(arrival - browser_t)
            kernel_hop.append(arrival - kernel_t)
            uplink.append(kernel_t - browser_t)

        voice_s = seconds / 2
        kernel_eval(page, f"agent_voice({voice_s})")
        page.wait_for_timeout(500)
        voice = cpu_pct(pids, voice_s - 1.0)
        page.wait_for_timeout(1500)
        played = float(page.evaluate("() => document.querySelector('.nur-conv').dataset.playedMs"))
        kernel_eval(page, "agent_voice(6.0, ping=True)")
        page.wait_for_timeout(8000)
        link = kernel_json(page, "w.link_stats()")
        return {
            "mode": mode,
            "transport": transport,
            "messages": len(relayed),
            "relayed": relayed,
            "kernel_hop": kernel_hop,
            "uplink": uplink,
            "idle": idle,
            "mic": {k: mic[k] - idle[k] for k in mic},
            "voice": {k: voice[k] - idle[k] for k in voice},
            "played_ms": played,
            "downlink": [link["downlink_p50_ms"], link["downlink_p99_ms"]],
            "pings": link["pings"],
        }
    finally:
        browser.close()
        server.stop()


def p50_p99(values: list[float], *, minus: float = 0.0, minus99: float = 0.0) -> str:
    if not values:
        return f"{'-':>8} {'-':>8}"
    return f"{pct(values, 0.5) - minus:8.2f} {pct(values, 0.99) - minus99:8.2f}"


def report(base: list[float], runs: list[dict[str, Any]]) -> None:
    """Print the table."""
    d50, d99 = pct(base, 0.5), pct(base, 0.99)
    print(f"direct: {len(base)} frames of 32 ms from this process to the sink")
    print(f"  connection -> sink                       {p50_p99(base)}")
    print()
    print("per 32 ms microphone frame (ms)                 p50      p99")
    for run in runs:
        print(f"{run['mode']} (live transport: {run['transport']}, {run['messages']} frames)")
        print(f"  browser -> kernel -> bridge -> sink      {p50_p99(run['relayed'])}")
        print(f"    browser -> kernel                      {p50_p99(run['uplink'])}")
        print(f"    kernel -> sink (bridge + connection)   {p50_p99(run['kernel_hop'])}")
        added = p50_p99(run["relayed"], minus=d50, minus99=d99)
        print(f"  added by the kernel hop (minus direct)   {added}")
    print()
    print("CPU, % of one core above idle   kernel:mic  kernel:voice  server:mic  server:voice")
    for run in runs:
        mic, voice = run["mic"], run["voice"]
        print(
            f"  {run['mode']:<30} {mic['kernel']:10.2f} {voice['kernel']:13.2f} "
            f"{mic['server']:11.2f} {voice['server']:13.2f}"
        )
    idle = ", ".join(
        f"{r['mode']}: kernel {r['idle']['kernel']:.2f}, server {r['idle']['server']:.2f}"
        for r in runs
    )
    print(f"  (idle, subtracted above: {idle})")
    print()
    print("kernel -> browser right after an agent-audio chunk (ms)            p50      p99")
    for run in runs:
        p50, p99 = run["downlink"]
        label = (
            f"{run['mode']} ({run['pings']} pings, {run['played_ms'] / 1000:.1f} s voice played)"
        )
        cells = " ".join(f"{v:8.2f}" if v is not None else f"{'-':>8}" for v in (p50, p99))
        print(f"  {label:<62} {cells}")
    print()
    print("targets: kernel CPU < 3% of a core per live conversation; added p50 < 5 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    sink = Sink()
    wav = speech_wav(
        "Hello, I would like to know where my order is. It was placed last Tuesday.",
        Path(tempfile.mkdtemp()) / "speech.wav",
    )
    base = direct(sink, int(args.seconds / 0.032))
    with sync_playwright() as pw:
        runs = [
            run_lab(pw, sink, wav, mode=mode, seconds=args.seconds)
            for mode in ("relay", "comm", "stock")
        ]
    report(base, runs)
    d50, d99 = pct(base, 0.5), pct(base, 0.99)
    summary = {
        "direct": [d50, d99],
        "runs": [
            {
                "mode": r["mode"],
                "transport": r["transport"],
                "relayed": [pct(r["relayed"], 0.5), pct(r["relayed"], 0.99)],
                "added": [pct(r["relayed"], 0.5) - d50, pct(r["relayed"], 0.99) - d99],
                "uplink": [pct(r["uplink"], 0.5), pct(r["uplink"], 0.99)],
                "kernel_hop": [pct(r["kernel_hop"], 0.5), pct(r["kernel_hop"], 0.99)],
                "cpu_pct_mic": r["mic"],
                "cpu_pct_agent_voice": r["voice"],
                "cpu_pct_idle": r["idle"],
                "downlink": r["downlink"],
                "played_ms": r["played_ms"],
            }
            for r in runs
            if r["relayed"]
        ],
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "relay.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
