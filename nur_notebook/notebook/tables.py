"""Small tables for the ``%nur`` line magics, shown as HTML with a plain-text twin."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


class Table:
    """Rows under a header; Jupyter shows the HTML, terminals and logs the text."""

    def __init__(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        title: str = "",
        empty: str = "(none)",
    ) -> None:
        self.columns = list(columns)
        self.rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
        self.title = title
        self.empty = empty

    def to_text(self) -> str:
        """Aligned columns, one row per line."""
        lines = [self.title] if self.title else []
        if not self.rows:
            return "\n".join([*lines, self.empty])
        widths = [
            max(len(self.columns[i]), *(len(row[i]) for row in self.rows))
            for i in range(len(self.columns))
        ]
        header = "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        lines.append(header.rstrip())
        lines.append("  ".join("-" * w for w in widths))
        for row in self.rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        return "\n".join(lines)

    def to_html(self) -> str:
        """A plain HTML table (the notebook's own table style applies)."""
        esc = html.escape
        parts = [f"<p><b>{esc(self.title)}</b></p>"] if self.title else []
        if not self.rows:
            return "".join([*parts, f"<p><i>{esc(self.empty)}</i></p>"])
        head = "".join(f"<th style='text-align:left'>{esc(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{esc(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return self.to_text()


def key_value_table(values: dict[str, Any], *, title: str = "") -> Table:
    """A two-column table of a flat mapping (nested values shown compactly)."""
    rows = [(key, _compact(value)) for key, value in values.items()]
    return Table(["field", "value"], rows, title=title)


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_compact(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_compact(v) for v in value)
    return str(value)
