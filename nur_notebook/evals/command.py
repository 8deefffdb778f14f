"""``nur-notebook eval SUITE.yaml``: run a suite from the command line.

    $ nur-notebook eval suite.yaml --variants v1,v2 --repeat 3 --out eval-out --min-pass-rate 0.8
    [1/12] order status · v1 · attempt 1: passed (1840 ms)
    ...
    scenario                v1            v2
    order status     3/3 100% 1810ms   2/3 67% 1900ms ~
    wrote eval-out/results.jsonl, eval-out/summary.json, eval-out/report.html

Exit status: 0 when the overall pass rate reaches ``--min-pass-rate`` (default 0: any),
1 below it, 2 when the suite or the server is not usable (nothing ran).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nur_notebook.evals.errors import EvalRunError, SuiteError
from nur_notebook.evals.model import Suite
from nur_notebook.evals.summary import matrix_text

EXIT_BELOW = 1
EXIT_UNUSABLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``eval`` sub-command's options."""
    parser.add_argument("suite", type=Path, help="the suite, a YAML file (docs/evals.md)")
    parser.add_argument("--agent", default=None, help="test this existing agent (AGENT_ID)")
    parser.add_argument("--variants", default=None, help="the variants to run, e.g. v1,v2")
    parser.add_argument("--repeat", type=int, default=None, help="attempts per scenario x variant")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="attempts run at once (default 1)"
    )
    parser.add_argument("--out", type=Path, default=Path("eval-out"), help="default: ./eval-out")
    parser.add_argument(
        "--min-pass-rate",
        type=float,
        default=0.0,
        help="exit 1 when the overall pass rate is below this (0..1; default 0)",
    )


def check_arguments(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, or None."""
    if args.repeat is not None and args.repeat < 1:
        return f"--repeat must be at least 1, got {args.repeat}"
    if args.concurrency < 1:
        return f"--concurrency must be at least 1, got {args.concurrency}"
    if not 0.0 <= args.min_pass_rate <= 1.0:
        return f"--min-pass-rate must be from 0 to 1, got {args.min_pass_rate:g}"
    return None


def load(args: argparse.Namespace) -> Suite | None:
    """The checked suite, or None after printing why it cannot run."""
    from nur_notebook.evals import load_suite

    try:
        return load_suite(args.suite, agent_id=args.agent)
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def execute(args: argparse.Namespace, suite: Suite, *, client: Any) -> int:
    """Run, write the files and print the matrix; the exit status."""
    from nur_notebook.evals import run

    variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else None
    try:
        result = run(
            suite,
            variants=variants,
            repeat=args.repeat,
            client=client,
            on_progress=_progress,
            concurrency=args.concurrency,
        )
    except (SuiteError, EvalRunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    folder = result.save(args.out)
    summary = result.summary
    print(matrix_text(summary))
    files = ", ".join(str(folder / n) for n in ("results.jsonl", "summary.json", "report.html"))
    print(f"wrote {files}")
    failed = result.failed_checks()
    if failed:
        print("failed checks:\n  " + "\n  ".join(failed[:30]), file=sys.stderr)
    if result.pass_rate < args.min_pass_rate:
        print(
            f"pass rate {result.pass_rate:.0%} is below --min-pass-rate {args.min_pass_rate:.0%}",
            file=sys.stderr,
        )
        return EXIT_BELOW
    return 0


def _progress(event: dict[str, Any]) -> None:
    if event["type"] == "started":
        print(
            f"running {event['total']} attempts: {len(event['scenarios'])} scenarios x "
            f"{len(event['variants'])} variants ({', '.join(event['variants'])})",
            file=sys.stderr,
            flush=True,
        )
    elif event["type"] == "row":
        row = event["row"]
        latencies = [t["latency_ms"] for t in row["turns"] if t.get("latency_ms") is not None]
        timing = f" ({max(latencies):.0f} ms)" if latencies else ""
        verdict = (
            "passed"
            if row["passed"]
            else "FAILED " + "; ".join(c["name"] for c in row["checks"] if not c["passed"])
        )
        print(
            f"[{event['index'] + 1}/{event['total']}] {row['scenario']} · {row['variant']} · "
            f"attempt {row['attempt']}: {verdict}{timing}",
            file=sys.stderr,
            flush=True,
        )


__all__ = ["add_arguments", "check_arguments", "execute"]
