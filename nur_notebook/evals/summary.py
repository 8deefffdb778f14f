"""Pass rates and latency of a run, per scenario x variant, from its rows (pure).

>>> rows = [{"scenario": "s", "variant": "v1", "passed": True,
...          "turns": [{"latency_ms": 900.0}]}]
>>> summarize(rows, suite="demo")["cells"][0]["pass_rate"]
1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` (0..1) percentile by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 1)


def cell(rows: Sequence[Row], *, scenario: str, variant: str) -> dict[str, Any]:
    """One matrix cell: ``passed``, ``attempts``, ``pass_rate``, latency p50/p90, ``flaky``."""
    mine = [r for r in rows if r["scenario"] == scenario and r["variant"] == variant]
    passed = sum(1 for r in mine if r["passed"])
    latencies = [
        float(t["latency_ms"]) for r in mine for t in r["turns"] if t.get("latency_ms") is not None
    ]
    rate = passed / len(mine) if mine else None
    return {
        "scenario": scenario,
        "variant": variant,
        "passed": passed,
        "attempts": len(mine),
        "pass_rate": None if rate is None else round(rate, 4),
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p90_ms": percentile(latencies, 0.9),
        # Some attempts passed and some failed: the same input, different outcomes.
        "flaky": 0 < passed < len(mine),
    }


def summarize(
    rows: Sequence[Row],
    *,
    suite: str,
    scenarios: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The run's summary: overall and per variant pass rates, and every cell with its
    ``delta`` (pass rate minus the first variant's)."""
    scenario_names = list(scenarios) if scenarios is not None else _unique(rows, "scenario")
    variant_names = list(variants) if variants is not None else _unique(rows, "variant")
    cells = [cell(rows, scenario=s, variant=v) for s in scenario_names for v in variant_names]
    first = variant_names[0] if variant_names else None
    for item in cells:
        base = next(
            (c for c in cells if c["scenario"] == item["scenario"] and c["variant"] == first),
            None,
        )
        if base is None or item["pass_rate"] is None or base["pass_rate"] is None:
            item["delta"] = None
        else:
            item["delta"] = round(item["pass_rate"] - base["pass_rate"], 4)
    by_variant = {}
    for variant in variant_names:
        mine = [r for r in rows if r["variant"] == variant]
        by_variant[variant] = _totals(mine)
    return {
        "suite": suite,
        **_totals(rows),
        "scenarios": scenario_names,
        "variants": variant_names,
        "by_variant": by_variant,
        "cells": cells,
    }


def _totals(rows: Sequence[Row]) -> dict[str, Any]:
    passed = sum(1 for r in rows if r["passed"])
    latencies = [
        float(t["latency_ms"]) for r in rows for t in r["turns"] if t.get("latency_ms") is not None
    ]
    return {
        "passed": passed,
        "attempts": len(rows),
        "pass_rate": round(passed / len(rows), 4) if rows else None,
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p90_ms": percentile(latencies, 0.9),
    }


def _unique(rows: Sequence[Row], key: str) -> list[str]:
    seen: list[str] = []
    for row in rows:
        if row[key] not in seen:
            seen.append(row[key])
    return seen


def matrix_text(summary: Mapping[str, Any]) -> str:
    """The matrix as plain text: scenarios down, variants across, pass rate and p50."""
    variants = list(summary["variants"])
    cells = {(c["scenario"], c["variant"]): c for c in summary["cells"]}
    width = max([len("scenario"), *(len(s) for s in summary["scenarios"])])
    head = "scenario".ljust(width) + "".join(f"  {v:>20}" for v in variants)
    lines = [head, "-" * len(head)]
    for scenario in summary["scenarios"]:
        line = scenario.ljust(width)
        for variant in variants:
            line += f"  {cell_text(cells[(scenario, variant)]):>20}"
        lines.append(line)
    rate = summary["pass_rate"]
    overall = "-" if rate is None else f"{rate:.0%}"
    lines.append(
        f"{summary['suite']}: {summary['passed']}/{summary['attempts']} passed ({overall})"
    )
    return "\n".join(lines)


def cell_text(item: Mapping[str, Any]) -> str:
    """``2/3 67% 1840ms ~`` (``~`` marks a flaky cell)."""
    if not item["attempts"]:
        return "-"
    latency = item["latency_p50_ms"]
    text = f"{item['passed']}/{item['attempts']} {item['pass_rate']:.0%}"
    if latency is not None:
        text += f" {latency:.0f}ms"
    return text + (" ~" if item["flaky"] else "")


__all__ = ["cell", "cell_text", "matrix_text", "percentile", "summarize"]
