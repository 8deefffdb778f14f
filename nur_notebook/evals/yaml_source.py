"""Reading a suite's YAML while remembering the line of every field.

``load_yaml`` returns the plain data and a map from a field's path (a tuple of keys and list
indices) to its 1-based line, so validation can point at the line a mistake is on.

    >>> data, lines = load_yaml("a:\\n  b: [1, 2]\\n")
    >>> data, lines[("a", "b", 1)]
    ({'a': {'b': [1, 2]}}, 2)
"""

from __future__ import annotations

from typing import Any

import yaml

from nur_notebook.evals.errors import Problem, SuiteError

Path = tuple[str | int, ...]
Lines = dict[Path, int]


def load_yaml(text: str, *, source: str | None = None) -> tuple[Any, Lines]:
    """The data of ``text`` and the line of each field; ``SuiteError`` for bad YAML."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SuiteError([Problem("", f"not valid YAML: {problem}", line, source)]) from None
    lines: Lines = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, path: Path, lines: Lines) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            lines[(*path, name)] = key.start_mark.line + 1
            _walk(value, (*path, name), lines)
            # The key's line is where a reader looks for the field.
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


__all__ = ["Lines", "Path", "load_yaml"]
