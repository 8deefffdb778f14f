"""The field checks a suite loader is built from: where a mistake is, and the ``expect`` block.

``FieldChecks`` collects problems (never stops at the first) with the line of each field;
``load_suite`` (``suite.py``) builds the rest of the suite on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

from nur_notebook.evals.errors import Problem
from nur_notebook.evals.model import EXPECT_KEYS, Expect, ToolCallExpect
from nur_notebook.evals.yaml_source import Lines, Path
from nur_notebook.protocol.schema import field_path


class FieldChecks:
    """Problems found so far, and the checks of single fields."""

    def __init__(self, lines: Lines, source: str | None, folder: FilePath) -> None:
        self.lines = lines
        self.source = source
        self.folder = folder
        self.problems: list[Problem] = []
        self.any_tool = False

    def bad(self, path: Path, message: str) -> None:
        line = None
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                break
        self.problems.append(Problem(field_path(path), message, line, self.source))

    def keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], path: Path) -> None:
        for key in data:
            if key not in allowed:
                self.bad((*path, str(key)), f"unknown key; expected one of {', '.join(allowed)}")

    def mapping(self, value: Any, path: Path, what: str) -> dict[str, Any] | None:
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items()}
        self.bad(path, f"must be {what}, got {kind(value)}")
        return None

    def strings(self, value: Any, path: Path) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
            self.bad(path, "must be a string or a list of strings")
            return ()
        return tuple(items)

    def expect(self, value: Any, path: Path, tool_names: set[str]) -> Expect:
        if value is None:
            return Expect()
        fields = self.mapping(value, path, "a mapping of checks")
        if fields is None:
            return Expect()
        self.keys(fields, EXPECT_KEYS, path)
        calls = self.tool_calls(fields.get("tool_call"), (*path, "tool_call"), tool_names)
        no_call = fields.get("no_tool_call", False)
        if not isinstance(no_call, bool):
            self.bad((*path, "no_tool_call"), "must be true or false")
            no_call = False
        if no_call and calls:
            self.bad((*path, "no_tool_call"), "cannot be true beside a tool_call expectation")
        contains = self.strings(fields.get("reply_contains", ()), (*path, "reply_contains"))
        excludes = self.strings(fields.get("reply_excludes", ()), (*path, "reply_excludes"))
        matches = self.strings(fields.get("reply_matches", ()), (*path, "reply_matches"))
        for pattern in matches:
            self.pattern(pattern, (*path, "reply_matches"))
        latency = fields.get("max_latency_ms")
        if latency is not None and (
            isinstance(latency, bool) or not isinstance(latency, int | float) or latency <= 0
        ):
            self.bad((*path, "max_latency_ms"), "must be a positive number of milliseconds")
            latency = None
        judge = self.strings(fields.get("judge", ()), (*path, "judge"))
        return Expect(
            tool_calls=calls,
            no_tool_call=no_call,
            reply_contains=contains,
            reply_matches=matches,
            reply_excludes=excludes,
            max_latency_ms=None if latency is None else float(latency),
            judge=tuple(j for j in judge if j.strip()),
        )

    def tool_calls(
        self, value: Any, path: Path, tool_names: set[str]
    ) -> tuple[ToolCallExpect, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        calls: list[ToolCallExpect] = []
        for index, item in enumerate(items):
            here = (*path, index) if isinstance(value, list) else path
            fields = self.mapping(item, here, "{name: TOOL, arguments: {...}}")
            if fields is None:
                continue
            self.keys(fields, ("name", "arguments"), here)
            name = fields.get("name")
            if not isinstance(name, str):
                self.bad((*here, "name"), "must be the tool's name")
                continue
            if name not in tool_names and not self.any_tool:
                known = ", ".join(sorted(tool_names)) or "none"
                self.bad((*here, "name"), f"unknown tool {name!r}; the agent's tools: {known}")
            arguments = self.mapping(fields.get("arguments", {}), (*here, "arguments"), "a mapping")
            for key, expected in (arguments or {}).items():
                if isinstance(expected, str) and _is_regex(expected):
                    self.pattern(expected[1:-1], (*here, "arguments", key))
            calls.append(ToolCallExpect(name, arguments or {}))
        return tuple(calls)

    def pattern(self, pattern: str, path: Path) -> None:
        try:
            re.compile(pattern)
        except re.error as exc:
            self.bad(path, f"not a valid regular expression ({exc})")


def _is_regex(value: str) -> bool:
    return len(value) >= 2 and value.startswith("/") and value.endswith("/")


def kind(value: Any) -> str:
    """How a wrong value is named in a message."""
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


__all__ = ["FieldChecks", "kind"]
