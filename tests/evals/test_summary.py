"""Pass rates, latency percentiles, deltas and flaky cells from result rows."""

from __future__ import annotations

from typing import Any

from nur_notebook.evals.summary import cell_text, matrix_text, percentile, summarize


def _row(
    scenario: str, variant: str, attempt: int, passed: bool, *latency: float
) -> dict[str, Any]:
    return {
        "suite": "s",
        "scenario": scenario,
        "variant": variant,
        "attempt": attempt,
        "passed": passed,
        "checks": [],
        "turns": [{"latency_ms": value} for value in latency],
        "session_id": "ses_x",
    }


def test_percentiles_interpolate() -> None:
    assert percentile([], 0.5) is None
    assert percentile([100.0], 0.9) == 100.0
    assert percentile([100.0, 200.0, 300.0, 400.0], 0.5) == 250.0
    assert percentile([100.0, 200.0, 300.0, 400.0], 0.9) == 370.0


def test_cells_deltas_and_flaky() -> None:
    rows = [
        _row("a", "v1", 1, True, 1000.0),
        _row("a", "v1", 2, True, 1200.0),
        _row("a", "v2", 1, True, 900.0),
        _row("a", "v2", 2, False, 3000.0),
        _row("b", "v1", 1, False),
        _row("b", "v2", 1, True, 500.0, 700.0),
    ]
    summary = summarize(rows, suite="s", variants=["v1", "v2"])
    assert summary["passed"] == 4
    assert summary["attempts"] == 6
    assert summary["pass_rate"] == round(4 / 6, 4)
    cells = {(c["scenario"], c["variant"]): c for c in summary["cells"]}
    assert cells[("a", "v1")]["pass_rate"] == 1.0
    assert cells[("a", "v1")]["delta"] == 0.0
    assert cells[("a", "v2")]["pass_rate"] == 0.5
    assert cells[("a", "v2")]["delta"] == -0.5
    assert cells[("a", "v2")]["flaky"] is True
    assert cells[("a", "v1")]["flaky"] is False
    assert cells[("b", "v2")]["delta"] == 1.0
    assert cells[("a", "v1")]["latency_p50_ms"] == 1100.0
    assert cells[("b", "v1")]["latency_p50_ms"] is None
    assert summary["by_variant"]["v2"]["passed"] == 2
    assert cell_text(cells[("a", "v2")]) == "1/2 50% 1950ms ~"
    text = matrix_text(summary)
    assert "s: 4/6 passed (67%)" in text
    assert text.splitlines()[0].split() == ["scenario", "v1", "v2"]


def test_a_cell_without_attempts_is_empty() -> None:
    summary = summarize([], suite="s", scenarios=["a"], variants=["v1"])
    (only,) = summary["cells"]
    assert only["attempts"] == 0
    assert only["pass_rate"] is None
    assert only["delta"] is None
    assert cell_text(only) == "-"
