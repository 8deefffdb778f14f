"""Arguments and entry point of ``nur-notebook talk`` (the work is in ``talk.py``).

Imports stay inside ``run`` so building the ``nur-notebook`` parser stays cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nur_notebook.realtime.talk import TalkPlan
    from nur_notebook.realtime.tools import ToolFunction


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``talk`` options."""
    parser.add_argument("agent_id", metavar="AGENT_ID", help="the agent to talk to (agt_...)")
    said = parser.add_mutually_exclusive_group(required=True)
    said.add_argument(
        "--text",
        action="append",
        metavar="TEXT",
        help="a typed user turn; repeat for more turns",
    )
    said.add_argument(
        "--wav", type=Path, metavar="FILE", help="a recording to say (any rate, mono or stereo)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reply.wav"),
        metavar="FILE",
        help="where to write the agent's audio (default: reply.wav)",
    )
    parser.add_argument("--greeting", metavar="TEXT", help="initial_message the agent says first")
    parser.add_argument(
        "--tool",
        action="append",
        default=[],
        metavar="MODULE:FUNCTION",
        help="a Python function that answers the tool of its name (also FILE.py:FUNCTION)",
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for each reply"
    )
    parser.add_argument("--base-url", help="the API's base URL (default: $NUR_BASE_URL)")
    parser.add_argument("--api-key", help="the API key (default: $NUR_API_KEY)")


def run(args: argparse.Namespace) -> int:
    """Run ``talk``; the exit status (0 ok, 1 failed, 2 bad input)."""
    from nur_notebook.client import NurError
    from nur_notebook.realtime.audio import wav_to_pcm16
    from nur_notebook.realtime.talk import TalkPlan, load_tools

    if args.text is not None and any(not t.strip() for t in args.text):
        return _fail("--text must not be empty", status=2)
    try:
        tools = load_tools(args.tool)
        pcm = wav_to_pcm16(args.wav) if args.wav is not None else None
    except (ValueError, OSError, ImportError) as exc:
        return _fail(str(exc), status=2)
    plan = TalkPlan(
        texts=args.text or (),
        pcm=pcm,
        greeting=args.greeting is not None,
        turn_timeout=args.timeout,
    )
    try:
        return asyncio.run(_talk(args, plan, tools))
    except NurError as exc:
        return _fail(str(exc), status=1)
    except KeyboardInterrupt:
        return 130


async def _talk(args: argparse.Namespace, plan: TalkPlan, tools: Mapping[str, ToolFunction]) -> int:
    from nur_notebook.client import AsyncNurClient
    from nur_notebook.realtime.talk import AudioSink, run_talk

    async with AsyncNurClient(api_key=args.api_key, base_url=args.base_url) as client:
        session = await client.agents.sessions.create(
            agent_id=args.agent_id, initial_message=args.greeting
        )
        print(f"session {session.session_id} with {args.agent_id}", file=sys.stderr)
        sink = AudioSink()
        async with client.agents.sessions.connect(session, tools=tools) as conn:
            status = await run_talk(conn, plan, sink=sink, out=_print_line)
        seconds = sink.write(args.out)
        print(f"agent audio: {seconds:.2f} s written to {args.out}", file=sys.stderr)
        return status


def _print_line(line: str) -> None:
    print(line, flush=True)


def _fail(message: str, *, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status
