"""How often the agent's brain decides right: call the right tool with the right
arguments, or answer itself, on typed requests over seven tool sets.

    python3 bench/tool_decisions.py                  # the local brain, in this process
    python3 bench/tool_decisions.py --split held     # only the held-out quarter
    python3 bench/tool_decisions.py --format json    # the older JSON envelope
    python3 bench/tool_decisions.py --server http://127.0.0.1:8000 --api-key KEY

In-process it loads the same engine the server uses (``LlamaBrain`` on the batch engine)
and asks it for each case's next move, the way a session does: a call whose ID-like
values nobody said is refused before it runs (``ungrounded_arguments``), so it counts as
no call. With ``--server`` every case runs as a real session over the public API
(an agent per tool set and language, a session per case; earlier turns of a follow-up
are replayed, answering their tool calls with the scripted results).

A case is right when the first call has the expected name and arguments, or when there
is no call where none is expected. Prints the share right overall and per category
(and per split: a quarter of the cases is held out from tuning), then the misses.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decision_cases import CASES, TOOLSETS, Case, Has, OneOf, split_of

from nur_notebook.server.pipeline.base import (
    BrainEvent,
    BrainRequest,
    Message,
    SayDelta,
    ToolCallDecision,
    ToolSpec,
)
from nur_notebook.server.pipeline.grounding import ungrounded_arguments

Outcome = tuple[str, dict[str, Any]] | None  # the first call, or None
Runner = Callable[[Case], tuple[Outcome, str]]  # (call, what the agent said)


def _squeeze(value: Any) -> str:
    return "".join(ch for ch in str(value).lower() if ch.isalnum())


def value_matches(expected: Any, actual: Any) -> bool:
    """Whether one argument value is right (see decision_cases for the rules)."""
    if isinstance(expected, OneOf):
        return any(value_matches(option, actual) for option in expected.values)
    if isinstance(expected, Has):
        words = expected.words
        return isinstance(actual, str) and all(_squeeze(w) in _squeeze(actual) for w in words)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or str(expected).lower() == str(actual).lower()
    if isinstance(expected, int | float):
        try:
            return abs(float(actual) - float(expected)) < 1e-6
        except (TypeError, ValueError):
            return False
    return _squeeze(expected) == _squeeze(actual) and _squeeze(expected) != ""


def matches(case: Case, outcome: Outcome) -> bool:
    """Right call (name, every expected argument, no argument nobody asked for) or
    rightly no call."""
    if case.expected is None or outcome is None:
        return case.expected is None and outcome is None
    name, expected = case.expected
    called, arguments = outcome
    if called != name or set(arguments) != set(expected):
        return False
    return all(value_matches(expected[key], arguments[key]) for key in expected)


# -- in-process ---------------------------------------------------------------------


def local_runner(*, reply_format: str | None, jobs: int = 1) -> Runner:
    """Cases against the local brain, loaded here (the server's engine code).

    With ``jobs`` > 1 that many cases decode together in the batch engine, as
    concurrent sessions do; each agent's prompt head is evaluated once, as a shared
    prefix, and copied into every case that starts with it.
    """
    from nur_notebook.server.pipeline.brain_llama import LlamaBrain

    options: dict[str, Any] = {} if reply_format is None else {"reply_format": reply_format}
    brain = LlamaBrain.load(slots=max(jobs, 1) + 1, **options)
    print(f"brain: {brain.description}, {jobs} case(s) at a time", flush=True)
    warmed: set[tuple[str, str]] = set()
    lock = threading.Lock()

    def run(case: Case) -> tuple[Outcome, str]:
        system_prompt, tools = TOOLSETS[case.tools]
        history = [*case.before, Message("user", case.text)]
        group = (case.tools, case.language)
        with lock:
            if group not in warmed:
                warmed.add(group)
                head = f"bench-head-{case.tools}-{case.language}"
                brain.prepare(BrainRequest(system_prompt, tools, case.language, session=head))
        events = brain.respond(
            BrainRequest(
                system_prompt,
                tools=tools,
                language=case.language,
                history=history,
                session=f"bench-{threading.get_ident()}",  # the prompt prefix stays cached
            )
        )
        with contextlib.closing(events):  # closing it early stops the generation
            return _first_move(events, history, known=system_prompt, tools=tools)

    return run


def _first_move(
    events: Iterator[BrainEvent], history: list[Message], *, known: str, tools: list[ToolSpec]
) -> tuple[Outcome, str]:
    """The first call (None if refused as a session refuses it, with the agent's prompt
    ``known`` and its ``tools``), or what the agent said."""
    said: list[str] = []
    for event in events:
        if isinstance(event, ToolCallDecision):
            if ungrounded_arguments(event, history, known=known, tools=tools):  # refused
                return None, f"(refused {event.name}{json.dumps(event.arguments)})"
            return (event.name, dict(event.arguments)), ""
        if isinstance(event, SayDelta):
            said.append(event.text)
            if len("".join(said)) > 80:  # it speaks: enough to show what it said
                break
    return None, "".join(said)


# -- over the public API ------------------------------------------------------------


def server_runner(*, base_url: str, api_key: str | None, timeout: float) -> Runner:
    """Cases as real sessions of a running server, through the client library."""
    from nur_notebook.client import NurClient

    client = NurClient(api_key=api_key, base_url=base_url)
    agents: dict[tuple[str, str], str] = {}

    def agent_for(case: Case) -> str:
        key = (case.tools, case.language)
        if key not in agents:
            system_prompt, tools = TOOLSETS[case.tools]
            agent = client.agents.create(
                name=f"bench {case.tools} {case.language}",
                voice_id="espeak_f",
                system_prompt=system_prompt,
                language=case.language,
                tools=[
                    {"name": t.name, "description": t.description, "parameters": t.parameters}
                    for t in tools
                ],
            )
            agents[key] = agent.agent_id
        return agents[key]

    def turn(conn: Any, text: str, results: dict[str, str]) -> tuple[Outcome, str]:
        conn.send_text(text)
        first: Outcome = None
        said = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = conn.recv(timeout=max(deadline - time.monotonic(), 0.1))
            kind = getattr(event, "type", "")
            if kind == "tool.call":
                if first is None:
                    first = (event.name, dict(event.arguments))
                conn.send_tool_result(event.call_id, json.loads(results.get(event.name, "{}")))
            elif kind == "transcript.agent.final":
                said = event.text
            elif kind == "response.done":
                return first, said
        raise TimeoutError(f"no response.done within {timeout} s")

    def run(case: Case) -> tuple[Outcome, str]:
        session = client.agents.sessions.create(agent_id=agent_for(case))
        results = {m.name or "": m.content for m in case.before if m.role == "tool_result"}
        with client.agents.sessions.connect(session) as conn:
            for message in case.before:
                if message.role == "user":
                    turn(conn, message.content, results)
            return turn(conn, case.text, results)

    return run


# -- report -------------------------------------------------------------------------


def report(rows: list[tuple[int, Case, Outcome, str, bool]], *, seconds: float) -> float:
    """Print the shares and the misses; return the overall share."""
    by_category: dict[str, list[bool]] = defaultdict(list)
    by_split: dict[str, list[bool]] = defaultdict(list)
    for index, case, _, _, ok in rows:
        by_category[case.category].append(ok)
        by_split[split_of(index)].append(ok)
    total = [ok for *_, ok in rows]
    share = sum(total) / max(len(total), 1)
    print(f"\n{len(total)} cases, {seconds:.0f} s ({seconds / max(len(total), 1):.1f} s a case)")
    print("| category     | right | cases | share |\n|--------------|-------|-------|-------|")
    for category, oks in by_category.items():
        print(f"| {category:<12} | {sum(oks):>5} | {len(oks):>5} | {sum(oks) / len(oks):.2f}  |")
    for split, oks in sorted(by_split.items()):
        print(f"| split {split:<6} | {sum(oks):>5} | {len(oks):>5} | {sum(oks) / len(oks):.2f}  |")
    print(f"| OVERALL      | {sum(total):>5} | {len(total):>5} | {share:.2f}  |")
    misses = [row for row in rows if not row[4]]
    if misses:
        print("\nmisses:")
    for index, case, outcome, said, _ in misses:
        print(f"- #{index} [{case.category}/{case.tools}/{case.language}] {case.text!r}")
        print(f"    expected {case.expected}; got {outcome}; said {said[:100]!r}")
    return share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["all", "tune", "held"], default="all")
    parser.add_argument("--category", default=None, help="only this category")
    parser.add_argument(
        "--format", dest="reply_format", choices=["native", "json"], default=None,
        help="the local brain's reply format (default: the brain's own)",
    )  # fmt: skip
    parser.add_argument("--server", default=None, help="base URL of a running server")
    parser.add_argument("--api-key", default=os.environ.get("NUR_API_KEY"))
    parser.add_argument("--timeout", type=float, default=120.0, help="per turn, with --server")
    parser.add_argument(
        "--jobs", type=int, default=1, help="cases decoded together (in-process; 1: one by one)"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    run = (
        server_runner(base_url=args.server, api_key=args.api_key, timeout=args.timeout)
        if args.server
        else local_runner(reply_format=args.reply_format, jobs=args.jobs)
    )
    selected = [
        (i, case)
        for i, case in enumerate(CASES)
        if args.split in ("all", split_of(i))
        and (args.category is None or case.category == args.category)
    ]
    selected.sort(key=lambda item: (item[1].tools, item[1].language))  # cache-friendly order
    rows = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1) if not args.server else 1) as pool:
        results = pool.map(lambda item: run(item[1]), selected)  # in order, `jobs` at a time
        for (index, case), (outcome, said) in zip(selected, results, strict=True):
            ok = matches(case, outcome)
            rows.append((index, case, outcome, said, ok))
            print(
                f"{'ok  ' if ok else 'MISS'} #{index} {case.text[:60]!r} -> {outcome}", flush=True
            )
    rows.sort(key=lambda row: row[0])
    report(rows, seconds=time.monotonic() - started)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
