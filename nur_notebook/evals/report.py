"""The HTML of a run: the matrix, then every attempt with its transcript, tool calls,
checks and, for each turn, the user's and the agent's audio embedded as WAV data URLs.

The page is self-contained (inline CSS, no scripts, no links), so ``report.html`` can be
mailed or attached to a CI run. ``matrix_html`` alone is what a saved notebook keeps.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from nur_notebook.evals.summary import cell_text
from nur_notebook.realtime.audio import wav_bytes

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table.nur-eval-matrix{border-collapse:collapse;margin:.5em 0}
.nur-eval-matrix th,.nur-eval-matrix td{border:1px solid #ccc;padding:4px 10px;text-align:center}
.nur-eval-matrix th:first-child,.nur-eval-matrix td:first-child{text-align:left}
.nur-eval-flaky{font-weight:bold;color:#a60}
.nur-eval-delta{font-size:85%;color:#555}
details{margin:.4em 0;padding:.3em .6em;border:1px solid #ddd;border-radius:4px}
summary{cursor:pointer}
.pass{color:#176617}.fail{color:#b00020}
.turn{margin:.4em 0 .6em 1em}
audio{height:28px;vertical-align:middle}
code{background:#f4f4f4;padding:0 3px}
"""


def rate_colour(rate: float | None) -> str:
    """Red (0) through yellow to green (1); grey while a cell has no attempt."""
    if rate is None:
        return "#eeeeee"
    return f"hsl({round(120 * rate)}, 65%, 82%)"


def matrix_html(summary: Mapping[str, Any]) -> str:
    """The matrix as an HTML table (scenarios as rows, variants as columns)."""
    variants = list(summary["variants"])
    cells = {(c["scenario"], c["variant"]): c for c in summary["cells"]}
    head = "".join(f"<th>{_e(v)}</th>" for v in variants)
    body = []
    for scenario in summary["scenarios"]:
        row = [f"<td>{_e(scenario)}</td>"]
        for index, variant in enumerate(variants):
            item = cells.get((scenario, variant))
            if item is None:
                row.append("<td></td>")
                continue
            delta = item.get("delta")
            note = ""
            if index > 0 and delta is not None:
                note = f' <span class="nur-eval-delta">({delta:+.0%})</span>'
            flaky = ' <span class="nur-eval-flaky" title="flaky">~</span>' if item["flaky"] else ""
            text = _e(cell_text(item).removesuffix(" ~"))
            colour = rate_colour(item["pass_rate"])
            where = f'data-scenario="{_e(scenario)}" data-variant="{_e(variant)}"'
            row.append(f'<td style="background:{colour}" {where}>{text}{flaky}{note}</td>')
        body.append("<tr>" + "".join(row) + "</tr>")
    rate = summary.get("pass_rate")
    overall = "-" if rate is None else f"{rate:.0%}"
    caption = (
        f"{_e(summary['suite'])}: {summary['passed']}/{summary['attempts']} passed ({overall})"
    )
    return (
        f'<table class="nur-eval-matrix"><caption>{caption}</caption>'
        f"<thead><tr><th>scenario</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def wav_data_url(pcm: bytes, sample_rate: int) -> str:
    """Mono PCM16 as a ``data:audio/wav;base64,...`` URL."""
    return "data:audio/wav;base64," + base64.b64encode(
        wav_bytes(pcm, sample_rate=sample_rate)
    ).decode("ascii")


def attempt_html(row: Mapping[str, Any], audio: Sequence[Any] | None = None) -> str:
    """One attempt: its checks, then each turn with its audio (if recorded)."""
    verdict = '<b class="pass">passed</b>' if row["passed"] else '<b class="fail">failed</b>'
    title = f"{_e(row['scenario'])} · {_e(row['variant'])} · attempt {row['attempt']} · {verdict}"
    parts = [
        f"<details><summary>{title}</summary>",
        f"<div>session <code>{_e(row['session_id'])}</code></div>",
    ]
    for number, turn in enumerate(row["turns"], start=1):
        parts.append(f'<div class="turn"><div><b>turn {number}</b></div>')
        heard = turn.get("transcribed")
        said = turn.get("user")
        parts.append(f"<div>user: {_e(said or '')}</div>")
        if heard is not None and heard != said:
            parts.append(f"<div>heard: <i>{_e(heard)}</i></div>")
        sound = audio[number - 1] if audio is not None and number - 1 < len(audio) else None
        if sound is not None and sound.user_pcm:
            parts.append(_audio("user", sound.user_pcm, 16_000))
        for call in turn.get("tool_calls") or []:
            arguments = json.dumps(call.get("arguments"), ensure_ascii=False)
            output = json.dumps(call.get("output"), ensure_ascii=False)
            text = f"{call.get('name')}({arguments}) → {output}"
            parts.append(f"<div>tool: <code>{_e(text)}</code></div>")
        latency = turn.get("latency_ms")
        timing = "" if latency is None else f" <small>({latency:.0f} ms)</small>"
        parts.append(f"<div>agent: {_e(turn.get('reply') or '')}{timing}</div>")
        if sound is not None and sound.agent_pcm:
            parts.append(_audio("agent", sound.agent_pcm, sound.agent_rate))
        parts.append("</div>")
    checks = "".join(
        f'<li class="{"pass" if c["passed"] else "fail"}">{"✓" if c["passed"] else "✗"} '
        f"{_e(c['name'])}: {_e(c['detail'])}</li>"
        for c in row["checks"]
    )
    parts.append(f"<ul>{checks}</ul></details>")
    return "".join(parts)


def report_html(
    summary: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    audio: Sequence[Sequence[Any]] | None = None,
) -> str:
    """The whole self-contained page."""
    attempts = "".join(
        attempt_html(row, audio[index] if audio is not None and index < len(audio) else None)
        for index, row in enumerate(rows)
    )
    title = _e(f"Eval: {summary['suite']}")
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body><h1>{title}</h1>{matrix_html(summary)}"
        f"<h2>Attempts</h2>{attempts}</body></html>"
    )


def _audio(who: str, pcm: bytes, rate: int) -> str:
    return f'<div>{who} audio: <audio controls src="{wav_data_url(pcm, rate)}"></audio></div>'


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


__all__ = ["attempt_html", "matrix_html", "rate_colour", "report_html", "wav_data_url"]
