"""Voice-to-voice latency of the local server, stage by stage; the speed features off and on.

Starts a real server (``nur-notebook serve`` on 127.0.0.1, a free port, a temporary data
directory), waits for its engines, then speaks questions made by eSpeak NG into sessions
at real time and records, per turn, the client-side latency (end of the user's speech,
or the typed text sent -> first agent audio frame received) and the server's
``metrics.turn`` (voice-to-voice, STT, brain first token / first sentence, TTS first
audio). The server's peak RSS is sampled throughout.

Default: one session, then ``--sessions`` at once (their starts ``--stagger`` seconds
apart; 0: all speak at the same instant). The first turn of each session is reported
apart (cold caches); p50/p90 are over the rest.

``--compare``: the same turns on two servers, one after the other: every latency
feature off (``serve --off ...``; only those named by ``--feature``), then all on.
Each runs, with an agent of three tools: a first typed turn, then each further
sentence typed and spoken in the same session (in turn typed first and spoken first,
so both meet the same history); the first typed replies of three new sessions of that
agent and of three brand-new agent versions, each set against the warm replies to the
same sentences. Prints each stage off and on with the ratio, and the goals: new
session / warm typed turn <= 1.2x,
new version <= 2x, spoken p50 - typed p50 <= 250 ms, v2v on / off <= 0.5x, RSS < 3 GB.

    python3 bench/voice_latency.py --turns 6
    python3 bench/voice_latency.py --stagger 0
    python3 bench/voice_latency.py --compare          # about 6-8 minutes on 2 cores
    python3 bench/voice_latency.py --compare --feature listen-ahead  # that one alone
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from voice_session import METRIC_FIELDS, BenchSession, Server, Turn, speech

from nur_notebook.server.config import SPEED_FEATURES

QUESTIONS = (
    "Hello, what are your opening hours?",
    "Can I pay with a credit card?",
    "How long does delivery take?",
    "Do you have a store in Berlin?",
    "Can I return an item after a month?",
    "Is there a discount for students?",
    "Do you sell running shoes?",
    "Thanks, that is all for today.",
)
PROMPT = (
    "You are a friendly assistant for a shoe shop. Answer every question in one short"
    " sentence of at most fifteen words."
)
#: Three tools the questions above do not need (the prompt is what a real agent carries).
TOOLS: list[dict[str, Any]] = [
    {
        "name": "lookup_order",
        "description": "Look up the delivery status of an order by its order number",
        "parameters": {"order_id": {"type": "string", "required": True}},
    },
    {
        "name": "book_fitting",
        "description": "Book an in-store shoe fitting appointment",
        "parameters": {
            "day": {"type": "string", "required": True, "description": "The day of the visit"},
            "people": {"type": "integer", "description": "How many people come"},
        },
    },
    {
        "name": "check_stock",
        "description": "Check whether a shoe model is in stock in a size",
        "parameters": {
            "model": {"type": "string", "required": True},
            "size": {"type": "number", "required": True},
        },
    },
]
TARGET_V2V_P50_MS = 2500
TARGET_RSS_BYTES = 3 * 1024**3
T = TypeVar("T")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def p50(turns: list[Turn], name: str = "client") -> float:
    """The median of one figure over ``turns``: client-side latency or a server metric."""
    if name == "client":
        return pct([t.client_ms for t in turns], 50)
    return pct([t.metrics[name] for t in turns if t.metrics.get(name) is not None], 50)


async def sampling(server: Server, work: Awaitable[T]) -> T:
    """Run ``work`` while sampling the server's RSS every 0.25 s."""
    task = asyncio.ensure_future(work)
    while not task.done():
        server.sample_rss()
        await asyncio.wait({task}, timeout=0.25)
    return task.result()


async def spoken_session(
    server: Server, agent_id: str, audio: list[bytes], *, delay_s: float = 0.0
) -> list[Turn]:
    url = server.new_session(agent_id)
    await asyncio.sleep(delay_s)
    turns = []
    async with BenchSession(server, url) as session:
        for pcm in audio:
            turns.append(await session.spoken(pcm))
            show(f"spoken turn {len(turns)}", turns[-1])
    return turns


def show(label: str, turn: Turn) -> None:
    metrics = ", ".join(f"{k.removesuffix('_ms')}={v}" for k, v in turn.metrics.items())
    called = f"; called {', '.join(turn.tools)}" if turn.tools else ""
    print(f"  {label}: {turn.client_ms:7.0f} ms ({metrics}){called}", flush=True)
    heard = f"heard {turn.heard!r}; " if turn.heard else ""
    print(f"    {heard}said {turn.said!r}", flush=True)


def table(title: str, sessions: list[list[Turn]]) -> dict[str, float]:
    later = [t for turns in sessions for t in turns[1:]]
    first = [t for turns in sessions for t in turns[:1]]
    print(f"\n{title}: {len(later)} turns after the first (+{len(first)} first turns)")
    print(f"| {'stage':<22} | {'p50 ms':>8} | {'p90 ms':>8} | {'first turn ms':>13} |")
    print(f"|{'-' * 24}|{'-' * 10}|{'-' * 10}|{'-' * 15}|")
    out = {}
    for name in ("client", *METRIC_FIELDS):
        label = "v2v (client)" if name == "client" else name.removesuffix("_ms")
        values = [t.client_ms if name == "client" else t.metrics.get(name) for t in later]
        firsts = [t.client_ms if name == "client" else t.metrics.get(name) for t in first]
        kept = [v for v in values if v is not None]
        out[label] = pct(kept, 50)
        head = statistics.median([v for v in firsts if v is not None] or [float("nan")])
        print(f"| {label:<22} | {out[label]:8.0f} | {pct(kept, 90):8.0f} | {head:13.0f} |")
    return out


async def concurrent(args: argparse.Namespace, server: Server) -> int:
    audio = [
        speech(QUESTIONS[i % len(QUESTIONS)], server.data_dir / "q") for i in range(args.turns)
    ]
    agent = server.new_agent(PROMPT)
    print(f"server at {server.base_url}; {args.turns} spoken turns per session\none session:")
    started = time.monotonic()
    single = await sampling(server, spoken_session(server, agent, audio))
    print(f"(server up and engines loaded after {time.monotonic() - started:.0f} s)")
    print(f"{args.sessions} sessions at once (starts {args.stagger:g} s apart):")
    many = await sampling(
        server,
        asyncio.gather(
            *(
                spoken_session(server, agent, audio[i:] + audio[:i], delay_s=i * args.stagger)
                for i in range(args.sessions)
            )
        ),
    )
    one = table("One session", [single])
    four = table(f"{args.sessions} concurrent sessions", list(many))
    ratio = four["v2v (client)"] / one["v2v (client)"]
    print(f"\npeak server RSS: {server.peak_rss / 1024**3:.2f} GB (target < 3 GB)")
    print(
        f"v2v p50 after the first turn: {one['v2v (client)']:.0f} ms client-side,"
        f" {one['voice_to_voice']:.0f} ms server-side (target < {TARGET_V2V_P50_MS} ms)"
    )
    print(f"{args.sessions} sessions / one session, v2v p50: {ratio:.2f}x (target < 2x)")
    return 0


# --- --compare ------------------------------------------------------------------------


async def one_config(server: Server, turns: int, workdir: Path) -> dict[str, float]:
    """Typed turns, the same sentences spoken, a new session, a new agent version."""
    sentences = [QUESTIONS[i % len(QUESTIONS)] for i in range(turns)]
    audio = [speech(text, workdir) for text in sentences[1:]]
    agent = server.new_agent(PROMPT, TOOLS)
    figures: dict[str, float] = {}
    async with BenchSession(server, server.new_session(agent)) as session:
        typed = [await session.typed(sentences[0])]
        show("typed turn 1", typed[0])
        spoken = []
        # A turn's cost grows with the history before it: each sentence is typed and
        # spoken one after the other, typed first and spoken first in turn.
        for n, (text, pcm) in enumerate(zip(sentences[1:], audio, strict=True)):
            for kind in ("typed", "spoken") if n % 2 == 0 else ("spoken", "typed"):
                if kind == "typed":
                    typed.append(await session.typed(text))
                    show(f"typed turn {n + 2}", typed[-1])
                else:
                    spoken.append(await session.spoken(pcm))
                    show(f"spoken turn {n + 2}", spoken[-1])
    figures["first reply, first session"] = typed[0].client_ms
    figures["typed (warm)"] = p50(typed[1:])
    figures["spoken v2v (client)"] = p50(spoken)
    for name in METRIC_FIELDS:
        figures[f"  spoken {name.removesuffix('_ms')}"] = p50(spoken, name)
    figures["  typed llm_first_token"] = p50(typed[1:], "llm_first_token_ms")
    figures["  typed llm_first_sentence"] = p50(typed[1:], "llm_first_sentence_ms")
    # A first reply is set against the warm replies to the same sentences (replies differ
    # in length by sentence: the greeting's answer is the longest).
    probes = sentences[1 : 1 + NEW_SESSIONS]
    new_sessions, new_versions = [], []
    for n, text in enumerate(probes):
        async with BenchSession(server, server.new_session(agent)) as session:
            new_sessions.append(await session.typed(text))
            show(f"new session {n + 1} of the agent", new_sessions[-1])
    for n, text in enumerate(probes):
        version = server.new_agent(PROMPT + EDITS[n % len(EDITS)], TOOLS)
        async with BenchSession(server, server.new_session(version)) as session:
            new_versions.append(await session.typed(text))
            show(f"new agent version {n + 1}", new_versions[-1])
    figures["typed (warm), same sentences"] = p50(typed[1 : 1 + NEW_SESSIONS])
    figures["first reply, new session"] = p50(new_sessions)
    figures["  new session llm_first_token"] = p50(new_sessions, "llm_first_token_ms")
    figures["first reply, new version"] = p50(new_versions)
    figures["  new version llm_first_token"] = p50(new_versions, "llm_first_token_ms")
    return figures


#: New sessions (and new agent versions) whose first replies are measured, each asked one
#: of the sentences after the first.
NEW_SESSIONS = 3
#: What a user changes between versions of the agent's prompt.
EDITS = (
    " Greet new customers warmly.",
    " Mention free returns when it fits.",
    " Speak plainly and avoid jargon.",
)


def run_server(extra: list[str], work: Callable[[Server], Awaitable[T]]) -> tuple[T, Server]:
    server = Server(Path(tempfile.mkdtemp(prefix="nur-bench-")), extra)
    try:
        return asyncio.run(sampling(server, work(server))), server
    finally:
        server.stop()


def compare(args: argparse.Namespace, extra: list[str]) -> int:
    results: dict[str, dict[str, float]] = {}
    rss: dict[str, float] = {}
    features = args.feature or list(SPEED_FEATURES)
    for label, flags in (("off", [f"--off={name}" for name in features]), ("on", [])):
        print(f"\nfeatures {label}: serve {' '.join(flags) or '(defaults)'}", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="nur-bench-q-"))
        results[label], server = run_server(
            extra + flags, lambda s, w=workdir: one_config(s, args.turns, w)
        )
        rss[label] = server.peak_rss / 1024**3
    off, on = results["off"], results["on"]
    print(f"\n| {'figure (p50 ms)':<30} | {'off':>8} | {'on':>8} | {'on/off':>6} |")
    print(f"|{'-' * 32}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    for name in on:
        ratio = on[name] / off[name] if off[name] else float("nan")
        print(f"| {name:<30} | {off[name]:8.0f} | {on[name]:8.0f} | {ratio:6.2f} |")
    print(f"| {'peak server RSS (GB)':<30} | {rss['off']:8.2f} | {rss['on']:8.2f} |        |")
    warm = on["typed (warm)"]
    same = on["typed (warm), same sentences"]
    goals = [
        ("new session / warm typed turn", on["first reply, new session"] / same, 1.2, "x"),
        ("new agent version / warm typed turn", on["first reply, new version"] / same, 2.0, "x"),
        ("spoken p50 - typed p50 (ms)", on["spoken v2v (client)"] - warm, 250, ""),
        ("spoken v2v on / off", on["spoken v2v (client)"] / off["spoken v2v (client)"], 0.5, "x"),
        ("peak RSS (GB)", rss["on"], 3.0, ""),
    ]
    print("\nfeatures on, against the goals:")
    for name, value, goal, unit in goals:
        mark = "ok" if value <= goal else "MISSED"
        print(f"  {name:<38} {value:8.2f}{unit}  (goal <= {goal:g}{unit})  {mark}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=None, help="turns per session (6; 5)")
    parser.add_argument("--sessions", type=int, default=4, help="concurrent sessions")
    parser.add_argument(
        "--stagger",
        type=float,
        default=1.5,
        help="seconds between the starts of the concurrent sessions (0: all speak at once)",
    )
    parser.add_argument("--compare", action="store_true", help="every latency feature off, then on")
    parser.add_argument(
        "--feature",
        action="append",
        default=[],
        choices=SPEED_FEATURES,
        help="with --compare: turn only this feature off and on (repeatable)",
    )
    parser.add_argument("--brain-url", default=None, help="an OpenAI-compatible brain")
    parser.add_argument("--llm-threads", type=int, default=None, help="threads of the local LLM")
    parser.add_argument(
        "--off",
        action="append",
        default=[],
        choices=SPEED_FEATURES,
        help="run the server without this latency feature (repeatable; not with --compare)",
    )
    # SIGTERM unwinds like Ctrl-C, so the server subprocess is always stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    extra = ["--brain-url", args.brain_url] if args.brain_url else []
    if args.llm_threads:
        extra += ["--llm-threads", str(args.llm_threads)]
    if args.off and args.compare:
        parser.error("--off is for one server; --compare runs every feature off and on")
    extra += [f"--off={name}" for name in args.off]
    started = time.monotonic()
    if args.compare:
        args.turns = args.turns or 5
        status = compare(args, extra)
    else:
        args.turns = args.turns or 6
        status = run_server(extra, lambda server: concurrent(args, server))[0]
    print(
        f"\nload average after: {os.getloadavg()[0]:.1f}; took {time.monotonic() - started:.0f} s"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
