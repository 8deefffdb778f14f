"""What the kernel hop costs a live conversation: latency per audio frame and kernel CPU.

Runs JupyterLab (with and without the TCP_NODELAY server extension) and headless Chromium
whose fake microphone loops an eSpeak NG WAV; the conversation widget streams it through the
kernel's SessionBridge and the real session connection (``AsyncSessionConnection``) to a
WebSocket sink on loopback that stamps every frame as it arrives. Figures:

- relayed: browser capture -> comm -> kernel -> bridge -> session socket -> sink, per frame;
- direct: the same connection class sending the same frames straight from this process;
- added = relayed - direct (p50/p99), and the kernel-only part (comm arrival -> sink);
- kernel CPU (% of one core) while streaming, minus the idle kernel's;
- kernel -> browser latency of a small message right after an agent-audio chunk (ping),
  with the extension and without it (Nagle + delayed ACK).

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
    open_notebook,
    run_all,
    speech_wav,
    write_notebook,
)

from nur_notebook.protocol.frames import HEADER  # noqa: E402
from nur_notebook.realtime.connection import AsyncSessionConnection  # noqa: E402

FRAME_BYTES = 1024  # 32 ms of 16 kHz PCM16, what the widget sends

KERNEL_CELL = """\
import os, threading, time
from nur_notebook.notebook.bridge import SessionBridge
from nur_notebook.notebook.widget import ConversationWidget
from nur_notebook.realtime.connection import AsyncSessionConnection

class _Sessions:
    @staticmethod
    def connect(url, tools=None):
        return AsyncSessionConnection(url, tools=tools)

class SinkClient:
    class agents:
        sessions = _Sessions

w = ConversationWidget(
    agent={{"name": "relay bench"}}, status="listening", frames_per_message={per}
)
stamps = []
w.on_mic_audio(lambda pcm: stamps.append((w.last_frame_t, time.time() * 1000)))
bridge = SessionBridge(SinkClient, "{url}", on_event=lambda e: None, on_audio=lambda *a: None)
w.on_mic_audio(bridge.send_audio)

def downlink(n=150, gap=0.04):
    chunk = bytes(1764)  # 40 ms of agent audio at 22.05 kHz
    for _ in range(n):
        w.push_audio(chunk, sample_rate=22050, generation=1)
        w.ping()
        time.sleep(gap)

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


def kernel_cpu(pid: int, seconds: float) -> float:
    """% of one core the kernel process used over ``seconds``."""
    proc = psutil.Process(pid)
    before = proc.cpu_times()
    time.sleep(seconds)
    after = proc.cpu_times()
    used = float((after.user - before.user) + (after.system - before.system))
    return 100.0 * used / seconds


def run_lab(
    pw: Any, sink: Sink, wav: Path, *, nodelay: bool, per: int, seconds: float
) -> dict[str, Any]:
    """One JupyterLab + Chromium run: stream ``seconds`` of speech, then ping after audio."""
    name = f"relay-{'nodelay' if nodelay else 'nagle'}-{per}"
    base = Path(tempfile.mkdtemp(prefix=f"nur-bench-{name}-"))
    server = JupyterServer("lab", base, nodelay=nodelay)
    browser = pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        # The WAV loops (no %noloop): speech for the whole run.
        args=[*chromium_args(None), f"--use-file-for-fake-audio-capture={wav}"],
    )
    try:
        cell = KERNEL_CELL.format(url=sink.url(name), per=per)
        write_notebook(server.root / "bench.ipynb", [cell])
        page = browser.new_page()
        open_notebook(page, server, "bench.ipynb")
        run_all(page)
        page.locator(".nur-conv").wait_for(timeout=60_000)
        pid = int(kernel_eval(page, "print(os.getpid())"))
        idle_cpu = kernel_cpu(pid, seconds / 2)

        page.get_by_role("button", name="Start microphone").click()
        page.wait_for_timeout(2000)  # warm-up
        busy_cpu = kernel_cpu(pid, seconds)
        page.get_by_role("button", name="Stop microphone").click()
        page.wait_for_timeout(1000)

        stamps = kernel_json(page, "stamps")
        arrivals = message_arrivals(sink.arrivals.get(name, []), per * FRAME_BYTES)
        relayed, kernel_hop, uplink = [], [], []
        for (browser_t, kernel_t), arrival in zip(stamps, arrivals, strict=False):
            if browser_t is None:
                continue
            relayed.append(arrival - browser_t)
            kernel_hop.append(arrival - kernel_t)
            uplink.append(kernel_t - browser_t)

        kernel_eval(page, "threading.Thread(target=downlink, daemon=True).start()")
        page.wait_for_timeout(150 * 40 + 2000)
        link = kernel_json(page, "w.link_stats()")
        return {
            "nodelay": nodelay,
            "per": per,
            "messages": len(relayed),
            "relayed": relayed,
            "kernel_hop": kernel_hop,
            "uplink": uplink,
            "cpu": busy_cpu - idle_cpu,
            "idle_cpu": idle_cpu,
            "downlink": [link["downlink_p50_ms"], link["downlink_p99_ms"]],
            "pings": link["pings"],
        }
    finally:
        browser.close()
        server.stop()


def line(label: str, values: list[float], *, minus: float = 0.0, minus99: float = 0.0) -> str:
    return (
        f"  {label:<44} p50 {pct(values, 0.5) - minus:7.2f} ms   "
        f"p99 {pct(values, 0.99) - minus99:7.2f} ms"
    )


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
            run_lab(pw, sink, wav, nodelay=True, per=1, seconds=args.seconds),
            run_lab(pw, sink, wav, nodelay=True, per=2, seconds=args.seconds),
            run_lab(pw, sink, wav, nodelay=False, per=1, seconds=args.seconds),
        ]
    d50, d99 = pct(base, 0.5), pct(base, 0.99)
    print(f"direct: {len(base)} frames of 32 ms from this process to the sink")
    print(line("direct (connection -> sink)", base))
    for run in runs[:2]:
        per = run["per"]
        print(
            f"relayed: {run['messages']} comm messages of {per} x 32 ms "
            f"(frames_per_message={per}), TCP_NODELAY extension on"
        )
        print(line("browser -> kernel -> bridge -> sink", run["relayed"]))
        print(line("  browser -> kernel (comm)", run["uplink"]))
        print(line("  kernel -> sink (bridge + connection)", run["kernel_hop"]))
        print(line("added by the relay (relayed - direct)", run["relayed"], minus=d50, minus99=d99))
        if per > 1:
            print(f"  + {32 * (per - 1)} ms of holding for the first frame of each message")
        print(
            f"  kernel CPU per live conversation: {run['cpu']:.2f}% of a core "
            f"(idle kernel {run['idle_cpu']:.2f}%)"
        )
    for run in (runs[0], runs[2]):
        label = "TCP_NODELAY extension on" if run["nodelay"] else "stock jupyter_server (Nagle)"
        p50, p99 = run["downlink"]
        print(
            f"kernel -> browser after an audio chunk, {label:<29} p50 {p50:7.2f} ms   "
            f"p99 {p99:7.2f} ms ({run['pings']} pings)"
        )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    summary = {
        "direct": [d50, d99],
        "runs": [
            {
                "nodelay": r["nodelay"],
                "frames_per_message": r["per"],
                "relayed": [pct(r["relayed"], 0.5), pct(r["relayed"], 0.99)],
                "uplink": [pct(r["uplink"], 0.5), pct(r["uplink"], 0.99)],
                "kernel_hop": [pct(r["kernel_hop"], 0.5), pct(r["kernel_hop"], 0.99)],
                "kernel_cpu_pct": r["cpu"],
                "downlink": r["downlink"],
            }
            for r in runs
        ],
    }
    (out / "relay.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
