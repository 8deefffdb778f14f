"""The package's shape: no import circles, layers import only downwards, modules stay small.

Imports are read from the source (every ``import`` statement, also those inside functions
and under ``TYPE_CHECKING``: a circle there is still a circle a reader must untangle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nur_notebook"
#: Longest a module may grow (the aim is 50-400 lines).
MAX_MODULE_LINES = 450


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> Iterator[str]:
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in MODULES else base


@cache
def import_graph() -> dict[str, set[str]]:
    """Each nur_notebook module and the nur_notebook modules it imports. A package a module
    lives in is left out: Python imports it first anyway, so it makes no circle."""
    return {
        name: {
            target
            for target in _imported(name, path)
            if target in MODULES and target != name and not name.startswith(target + ".")
        }
        for name, path in MODULES.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = [stack.pop()]
            while group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


@pytest.mark.parametrize(
    ("layer", "may_not_import"),
    [
        ("nur_notebook.protocol", ("client", "realtime", "notebook", "server", "evals")),
        ("nur_notebook.client", ("notebook", "server", "evals")),
        ("nur_notebook.realtime", ("notebook", "server", "evals")),
        ("nur_notebook.server", ("notebook", "client", "realtime", "evals")),
        ("nur_notebook.evals", ("notebook", "server")),
        ("nur_notebook.notebook", ("server",)),
    ],
)
def test_layers_import_only_downwards(layer: str, may_not_import: tuple[str, ...]) -> None:
    banned = tuple(f"nur_notebook.{name}" for name in may_not_import)
    wrong = {
        (module, target)
        for module, targets in import_graph().items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if target.startswith(banned)
    }
    assert wrong == set()


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
