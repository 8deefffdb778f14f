"""The outcome of a run: rows, summary, HTML report, files, and a pytest assertion.

result = nur_notebook.evals.run("suite.yaml", repeat=3)
result.summary["pass_rate"]          # 0.83
result.rows[0]["checks"]             # [{"name": "turn 1 tool_call lookup_order", ...}]
result.save("out/")                  # results.jsonl, summary.json, report.html
result.assert_passes(min_rate=0.8)   # AssertionError naming the failed checks
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nur_notebook.evals.driver import TurnAudio
from nur_notebook.evals.report import matrix_html, report_html
from nur_notebook.evals.summary import matrix_text, summarize

#: The fields of a result row, in order (docs/evals.md).
ROW_FIELDS = ("suite", "scenario", "variant", "attempt", "passed", "checks", "turns", "session_id")
#: The fields of a row's turn.
TURN_FIELDS = ("user", "transcribed", "reply", "tool_calls", "latency_ms")


class EvalResult:
    """Rows of a run (one per scenario x variant x attempt) and what follows from them."""

    def __init__(
        self,
        suite: str,
        *,
        scenarios: Sequence[str],
        variants: Sequence[str],
        rows: Sequence[dict[str, Any]] = (),
        audio: Sequence[list[TurnAudio]] = (),
    ) -> None:
        self.suite = suite
        self.scenarios = list(scenarios)
        self.variants = list(variants)
        self.rows: list[dict[str, Any]] = list(rows)
        #: Per row, each turn's audio (user and agent); not part of the rows themselves.
        self.audio: list[list[TurnAudio]] = list(audio)

    def add(self, row: dict[str, Any], audio: list[TurnAudio]) -> None:
        """Record one finished attempt."""
        self.rows.append(row)
        self.audio.append(audio)

    @property
    def summary(self) -> dict[str, Any]:
        """Overall and per-variant pass rates, and each scenario x variant cell."""
        return summarize(
            self.rows, suite=self.suite, scenarios=self.scenarios, variants=self.variants
        )

    @property
    def pass_rate(self) -> float:
        """Passed attempts over all attempts (0.0 for none)."""
        rate = self.summary["pass_rate"]
        return 0.0 if rate is None else float(rate)

    def failed_checks(self) -> list[str]:
        """``scenario / variant / attempt: check: detail`` for every failed check."""
        return [
            f"{r['scenario']} / {r['variant']} / attempt {r['attempt']}: {c['name']}: {c['detail']}"
            for r in self.rows
            for c in r["checks"]
            if not c["passed"]
        ]

    def matrix(self) -> str:
        """The matrix as plain text."""
        return matrix_text(self.summary)

    def to_html(self, *, audio: bool = True) -> str:
        """The self-contained report page (``audio=False`` leaves the recordings out)."""
        return report_html(self.summary, self.rows, self.audio if audio else None)

    def _repr_html_(self) -> str:
        return matrix_html(self.summary)

    def __repr__(self) -> str:
        return self.matrix()

    def save(self, directory: str | Path) -> Path:
        """Write ``results.jsonl``, ``summary.json`` and ``report.html`` into ``directory``."""
        folder = Path(directory).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        lines = (json.dumps(row, ensure_ascii=False, default=str) for row in self.rows)
        (folder / "results.jsonl").write_text("".join(f"{line}\n" for line in lines), "utf-8")
        summary = json.dumps(self.summary, indent=2, ensure_ascii=False)
        (folder / "summary.json").write_text(summary + "\n", "utf-8")
        (folder / "report.html").write_text(self.to_html(), "utf-8")
        return folder

    def assert_passes(self, min_rate: float = 1.0) -> None:
        """Raise ``AssertionError`` (listing the failed checks) below ``min_rate``."""
        rate = self.pass_rate
        if rate < min_rate or not self.rows:
            failed = self.failed_checks()
            listed = "\n  ".join(failed[:20]) + ("\n  ..." if len(failed) > 20 else "")
            raise AssertionError(
                f"{self.suite}: pass rate {rate:.0%} is below {min_rate:.0%} "
                f"({self.summary['passed']}/{len(self.rows)} attempts passed)"
                + (f"; failed checks:\n  {listed}" if failed else "")
            )


__all__ = ["ROW_FIELDS", "TURN_FIELDS", "EvalResult"]
