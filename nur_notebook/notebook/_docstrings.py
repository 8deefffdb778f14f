"""Read a function's summary and per-parameter descriptions from its docstring.

Two common layouts are understood:

Google style::

    Look up an order.

    Args:
        order_id: The order number.
        verbose (bool): Longer answers,
            continued on the next line.

NumPy style::

    Look up an order.

    Parameters
    ----------
    order_id : str
        The order number.

Pure text processing: no imports of the function's module, no evaluation.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

_GOOGLE_ARGS = re.compile(r"^(Args|Arguments|Parameters|Params)\s*:\s*$")
_GOOGLE_SECTION = re.compile(r"^[A-Z][A-Za-z ]*:\s*$")
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^-{3,}\s*$")
_NUMPY_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(:.*)?$")


@dataclass(frozen=True)
class ParsedDocstring:
    """The summary (first paragraph) and the parameter descriptions of a docstring."""

    summary: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Parse ``doc`` (Google or NumPy layout); missing parts come back empty.

    >>> parse_docstring("Add.\\n\\nArgs:\\n    a: First.\\n").params
    {'a': 'First.'}
    """
    if not doc:
        return ParsedDocstring()
    lines = inspect.cleandoc(doc).splitlines()
    return ParsedDocstring(summary=_summary(lines), params=_params(lines))


def _summary(lines: list[str]) -> str:
    paragraph: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if paragraph:
                break
            continue
        if _GOOGLE_ARGS.match(stripped) or _is_numpy_header(lines, line):
            break
        paragraph.append(stripped)
    return " ".join(paragraph)


def _is_numpy_header(lines: list[str], line: str) -> bool:
    index = lines.index(line)
    return index + 1 < len(lines) and bool(_NUMPY_UNDERLINE.match(lines[index + 1].strip()))


def _params(lines: list[str]) -> dict[str, str]:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _GOOGLE_ARGS.match(stripped):
            return _google_params(lines[index + 1 :])
        if (
            stripped in ("Parameters", "Arguments", "Args")
            and index + 1 < len(lines)
            and _NUMPY_UNDERLINE.match(lines[index + 1].strip())
        ):
            return _numpy_params(lines[index + 2 :])
    return {}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google_params(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    item_indent: int | None = None
    current: str | None = None
    for line in lines:
        if not line.strip():
            continue
        indent = _indent(line)
        if indent == 0:
            break  # the next section ("Returns:", ...) or the end of this one
        stripped = line.strip()
        if item_indent is None:
            item_indent = indent
        match = _GOOGLE_ITEM.match(stripped)
        if indent <= item_indent and match:
            current = match.group(1)
            params[current] = [match.group(3).strip()]
        elif current is not None:
            params[current].append(stripped)
    return {name: _join(parts) for name, parts in params.items()}


def _numpy_params(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    current: str | None = None
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        next_line = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _indent(line) == 0 and _NUMPY_UNDERLINE.match(next_line):
            break  # the next section header
        if _NUMPY_UNDERLINE.match(line.strip()):
            break
        if _indent(line) == 0:
            match = _NUMPY_ITEM.match(line.strip())
            current = match.group(1) if match else None
            if current is not None:
                params[current] = []
        elif current is not None:
            params[current].append(line.strip())
    return {name: _join(parts) for name, parts in params.items()}


def _join(parts: list[str]) -> str:
    return " ".join(part for part in parts if part)
