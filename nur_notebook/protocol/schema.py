"""Dataclass <-> JSON-object conversion with type checks, for the event codec; and how a
field's place in a JSON document is written in error messages (``tools[0].name``).

Checks the small set of field types events use: str, int, float, bool, dict, list,
``Any``, ``Literal[...]`` and ``X | None``. Kept apart from ``events.py`` so the event
definitions read as a plain list.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal

from nur_notebook.protocol.errors import ErrorCode, ProtocolError

_MISSING = dataclasses.MISSING


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _matches(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:  # dict[str, Any], list[...]
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    name = getattr(origin or hint, "__name__", str(hint))
    return {
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "bool": "a boolean",
        "dict": "an object",
        "list": "an array",
    }.get(name, name)


def event_from_dict(
    cls: type[Any], data: dict[str, Any], *, strict: bool, event_id: str | None
) -> Any:
    """Build ``cls`` from ``data``; raises ``ProtocolError`` naming the bad field."""
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kind = data.get("type")
    if strict:
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ProtocolError(
                ErrorCode.INVALID_EVENT,
                f"{kind}: unknown field(s) {', '.join(unknown)}",
                event_id=event_id,
            )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is _MISSING and f.default_factory is _MISSING:
                raise ProtocolError(
                    ErrorCode.INVALID_EVENT,
                    f"{kind}: missing required field '{name}'",
                    event_id=event_id,
                )
            continue
        value = data[name]
        if not _matches(value, hints[name]):
            raise ProtocolError(
                ErrorCode.INVALID_EVENT,
                f"{kind}: field '{name}' must be {_describe(hints[name])}",
                event_id=event_id,
            )
        kwargs[name] = value
    return cls(**kwargs)


class EventBase:
    """Base of every event: ``to_dict()`` gives its JSON object."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return event_to_dict(self)


def event_to_dict(event: Any) -> dict[str, Any]:
    """The JSON object of an event, with ``type`` first."""
    body = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {"type": body.pop("type"), **body}


def field_path(parts: Iterable[str | int]) -> str:
    """A field's place as text: ``("tools", 0, "name")`` -> ``tools[0].name`` ("" for none)."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
