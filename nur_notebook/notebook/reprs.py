"""Render a conversation as Markdown, HTML and plain text (pure functions over dicts).

Each rendering takes a ``View``: the transcript and tool calls (entries as the
conversation keeps them), the agent, and the status the text and HTML show.

The HTML is what GitHub and nbviewer show where the live widget cannot render, so it
uses inline styles only (no scripts, no classes that need a stylesheet).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

Entry = Mapping[str, Any]

_ROLE_LABEL = {"user": "User", "agent": "Agent"}


@dataclass(frozen=True)
class View:
    """What a rendering shows of a conversation."""

    transcript: Sequence[Entry]
    tool_calls: Sequence[Entry]
    _: KW_ONLY
    agent: Mapping[str, Any]
    status: str = ""


def _title(agent: Mapping[str, Any]) -> str:
    name = str(agent.get("name") or "Agent")
    version = agent.get("version")
    return f"{name} v{version}" if version else name


def _calls_by_turn(tool_calls: Sequence[Entry]) -> dict[tuple[int, int], list[Entry]]:
    grouped: dict[tuple[int, int], list[Entry]] = {}
    for call in tool_calls:
        key = (int(call.get("agent_version") or 0), int(call.get("turn") or 0))
        grouped.setdefault(key, []).append(call)
    return grouped


def _call_text(call: Entry) -> str:
    arguments = json.dumps(call.get("arguments") or {}, ensure_ascii=False)
    output = json.dumps(call.get("output"), ensure_ascii=False, default=str)
    duration = call.get("duration_ms")
    took = f" in {duration:.0f} ms" if isinstance(duration, int | float) else ""
    if call.get("status") == "running":
        return f"{call.get('name')}({arguments}) running"
    verdict = "failed" if call.get("is_error") else "returned"
    return f"{call.get('name')}({arguments}) {verdict} {output}{took}"


def _role(entry: Entry) -> str:
    role = str(entry.get("role"))
    return _ROLE_LABEL.get(role, role)


def _cut(entry: Entry) -> bool:
    """Interrupted after some of it was played (the rest is marked, not hidden)."""
    return bool(entry.get("interrupted") and entry.get("text"))


def _said(entry: Entry) -> str:
    text = str(entry.get("text") or "")
    if not text and entry.get("interrupted"):
        return "(interrupted before a word was played)"
    return text


def _walk(transcript: Sequence[Entry], tool_calls: Sequence[Entry]) -> list[tuple[str, Entry]]:
    """Transcript entries in order, each turn's tool calls right before the agent's reply."""
    calls = _calls_by_turn(tool_calls)
    shown: set[tuple[int, int]] = set()
    items: list[tuple[str, Entry]] = []
    for entry in transcript:
        key = (int(entry.get("agent_version") or 0), int(entry.get("turn") or 0))
        if entry.get("role") == "agent" and key in calls and key not in shown:
            items.extend(("tool", call) for call in calls[key])
            shown.add(key)
        items.append(("say", entry))
    for key, rest in calls.items():
        if key not in shown:
            items.extend(("tool", call) for call in rest)
    return items


def to_markdown(view: View) -> str:
    """A Markdown transcript: a heading, then one bullet per line of speech or tool call."""
    lines = [f"### {_title(view.agent)}", ""]
    for kind, item in _walk(view.transcript, view.tool_calls):
        if kind == "tool":
            lines.append(f"- *tool* `{_call_text(item)}`")
            continue
        cut = " *(interrupted)*" if _cut(item) else ""
        lines.append(f"- **{_role(item)}** (turn {item.get('turn')}): {_said(item)}{cut}")
    if len(lines) == 2:
        lines.append("*(nothing said yet)*")
    return "\n".join(lines) + "\n"


def to_text(view: View) -> str:
    """Plain text for terminals and ``repr``."""
    status = f", {view.status}>" if view.status else ">"
    lines = [f"<Conversation with {_title(view.agent)}{status}"]
    for kind, item in _walk(view.transcript, view.tool_calls):
        if kind == "tool":
            lines.append(f"  [tool] {_call_text(item)}")
        else:
            cut = " [interrupted]" if _cut(item) else ""
            lines.append(f"  {_role(item)}: {_said(item)}{cut}")
    return "\n".join(lines)


def to_html(view: View) -> str:
    """A self-contained HTML transcript with inline styles (safe where widgets don't run)."""
    esc = html.escape
    state = f" &middot; {esc(view.status)}" if view.status else ""
    rows = [
        '<div style="font-family:sans-serif;font-size:13px;max-width:720px;'
        'border:1px solid #ccc;border-radius:6px;padding:8px 12px">',
        f'<div style="font-weight:600;margin-bottom:6px">{esc(_title(view.agent))}{state}</div>',
    ]
    for kind, item in _walk(view.transcript, view.tool_calls):
        if kind == "tool":
            colour = "#b00020" if item.get("is_error") else "#555"
            rows.append(
                f'<div style="margin:2px 0 2px 16px;color:{colour}">'
                f'<span style="color:#888">tool</span> <code>{esc(_call_text(item))}</code></div>'
            )
            continue
        colour = "#1565c0" if item.get("role") == "user" else "#2e7d32"
        cut = ' <em style="color:#888">(interrupted)</em>' if _cut(item) else ""
        rows.append(
            f'<div style="margin:3px 0"><b style="color:{colour}">{esc(_role(item))}</b> '
            f'<span style="color:#888">turn {esc(str(item.get("turn")))} &middot; '
            f"v{esc(str(item.get('agent_version')))}</span> "
            f"{esc(_said(item))}{cut}</div>"
        )
    if not view.transcript and not view.tool_calls:
        rows.append('<div style="color:#888">(nothing said yet)</div>')
    rows.append("</div>")
    return "\n".join(rows)
