"""Map one Python parameter (type hint, default) to the API's tool parameter shape.

The API describes a parameter as ``{"type", "required", "description", "enum"?}`` with
the JSON types ``string``, ``integer``, ``number``, ``boolean``, ``array`` and ``object``.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any

JSON_TYPES: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
    dict: "object",
}


@dataclass(frozen=True)
class ParamSchema:
    """One parameter of a tool as the API describes it, plus how to convert values back."""

    name: str
    json_type: str
    required: bool
    description: str = ""
    choices: tuple[Any, ...] | None = None
    enum_class: type[enum.Enum] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API's ``{"type", "required", "description", "enum"?}`` object."""
        out: dict[str, Any] = {"type": self.json_type, "required": self.required}
        if self.description:
            out["description"] = self.description
        if self.choices is not None:
            out["enum"] = list(self.choices)
        return out

    def convert(self, value: Any) -> Any:
        """The agent's JSON value as the function expects it (enum members, ints)."""
        if self.enum_class is not None and value is not None:
            try:
                return self.enum_class(value)
            except ValueError:
                raise ValueError(
                    f"{self.name} must be one of {list(self.choices or ())}, got {value!r}"
                ) from None
        if self.json_type == "integer" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value


def parameter_schema(
    name: str,
    hint: Any,
    *,
    default: Any = inspect.Parameter.empty,
    description: str = "",
    owner: str = "tool",
) -> ParamSchema:
    """The schema of parameter ``name`` of ``owner`` from its hint and default.

    No hint: the default's type, else ``string``. ``Optional[X]``/``X | None`` or a
    default makes it not required. ``Annotated[X, "text"]`` supplies a description.
    """
    has_default = default is not inspect.Parameter.empty
    hint, annotated_doc = _strip_annotated(hint)
    hint, optional = _strip_optional(hint)
    if hint is None:
        hint = type(default) if has_default and default is not None else str
    json_type, values, enum_class = _describe(hint, name=name, owner=owner)
    return ParamSchema(
        name=name,
        json_type=json_type,
        required=not (has_default or optional),
        description=description or annotated_doc,
        choices=values,
        enum_class=enum_class,
    )


def _strip_annotated(hint: Any) -> tuple[Any, str]:
    if typing.get_origin(hint) is typing.Annotated:
        base, *extras = typing.get_args(hint)
        text = next((extra for extra in extras if isinstance(extra, str)), "")
        return base, text
    return hint, ""


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        if len(args) == 1:
            return args[0], optional
        if optional:
            return typing.Union[tuple(args)], True  # noqa: UP007 (built at run time)
    return hint, False


def _describe(
    hint: Any, *, name: str, owner: str
) -> tuple[str, tuple[Any, ...] | None, type[enum.Enum] | None]:
    if hint is Any:
        return "string", None, None
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        values = typing.get_args(hint)
        return _common_type(values, name=name, owner=owner), tuple(values), None
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = tuple(member.value for member in hint)
        return _common_type(values, name=name, owner=owner), values, hint
    base = origin if origin is not None else hint
    if isinstance(base, type):
        for python_type, json_type in JSON_TYPES.items():
            if base is python_type:
                return json_type, None, None
        if typing.is_typeddict(base):
            return "object", None, None
        if issubclass(base, bool):
            return "boolean", None, None
        for python_type, json_type in JSON_TYPES.items():
            if issubclass(base, python_type):
                return json_type, None, None
    raise TypeError(
        f"tool {owner}: parameter {name} has type {hint!r}, which the agent cannot send; "
        "use str, int, float, bool, Literal[...], an Enum, list, dict or Optional[...] of one"
    )


def _common_type(values: tuple[Any, ...], *, name: str, owner: str) -> str:
    kinds = {JSON_TYPES.get(type(value)) for value in values}
    if len(kinds) != 1 or None in kinds:
        raise TypeError(
            f"tool {owner}: the choices of parameter {name} must all be str, all int, "
            f"or all float; got {list(values)!r}"
        )
    (kind,) = kinds
    assert kind is not None
    return kind
