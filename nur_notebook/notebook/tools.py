"""``@nur_notebook.tool``: a typed, documented Python function becomes an agent tool.

    import nur_notebook

    @nur_notebook.tool
    def lookup_order(order_id: str) -> dict:
        '''Look up order status by ID.

        Args:
            order_id: The order number.
        '''
        return {"order_id": order_id, "status": "shipped"}

    lookup_order.definition
    # {'name': 'lookup_order', 'description': 'Look up order status by ID.',
    #  'parameters': {'order_id': {'type': 'string', 'required': True,
    #                              'description': 'The order number.'}}}

The definition has the API's tool shape. The decorated object is still callable like
the function; :meth:`Tool.invoke` is what answers the agent's tool calls (sync or async
functions; arguments converted back to ``Enum`` members). Every decorated tool is kept
in a registry of the kernel, by name, so ``%%nur_agent --tools`` can find it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Generic, ParamSpec, TypeVar, overload

from nur_notebook.notebook._docstrings import parse_docstring
from nur_notebook.notebook._schema import ParamSchema, parameter_schema

P = ParamSpec("P")
R = TypeVar("R")

_REGISTRY: dict[str, Tool[..., Any]] = {}


class Tool(Generic[P, R]):
    """A notebook function the agent may call, with its API tool definition."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"@tool decorates a function, got {type(fn).__name__}")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", ""))
        if not self.name.isidentifier():
            raise ValueError(f"tool name {self.name!r} must be a Python identifier")
        doc = parse_docstring(inspect.getdoc(fn))
        self.description = description if description is not None else doc.summary
        self._schemas = _schemas_of(fn, doc.params)
        functools.update_wrapper(self, fn)

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """The ``parameters`` object of the definition: name -> type, required, description."""
        return {name: schema.to_dict() for name, schema in self._schemas.items()}

    @property
    def definition(self) -> dict[str, Any]:
        """The tool definition the API takes in ``tools=[...]``."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        params = ", ".join(self._schemas)
        return f"<nur tool {self.name}({params})>"

    def bind_arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments for the function from the agent's ``arguments``.

        Unknown names are refused (``TypeError``, which the session reports to the agent
        as an error result); enum values become the function's ``Enum`` members.
        """
        unknown = sorted(set(arguments) - set(self._schemas))
        if unknown:
            raise TypeError(f"{self.name}() got unexpected arguments: {', '.join(unknown)}")
        missing = [n for n, s in self._schemas.items() if s.required and n not in arguments]
        if missing:
            raise TypeError(f"{self.name}() is missing required arguments: {', '.join(missing)}")
        return {name: self._schemas[name].convert(value) for name, value in arguments.items()}

    def call_from_agent(self, **arguments: Any) -> Any:
        """Run the tool for one call from the agent (the session client's ``tools=``
        handler): arguments are checked and converted first; an async function's
        coroutine is returned for the caller to await."""
        fn: Callable[..., Any] = self.fn
        return fn(**self.bind_arguments(arguments))

    async def invoke(self, arguments: Mapping[str, Any]) -> Any:
        """Run the tool for one call and wait for it; sync functions run in a thread."""
        kwargs = self.bind_arguments(arguments)
        fn: Callable[..., Any] = self.fn
        if inspect.iscoroutinefunction(fn):
            return await fn(**kwargs)
        result: Any = await asyncio.to_thread(fn, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


def _schemas_of(fn: Callable[..., Any], docs: Mapping[str, str]) -> dict[str, ParamSchema]:
    signature = inspect.signature(fn)
    try:
        hints = _type_hints(fn)
    except NameError as exc:
        raise TypeError(f"cannot resolve the type hints of {fn.__name__}: {exc}") from exc
    schemas: dict[str, ParamSchema] = {}
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(
                f"tool {fn.__name__}: *{name} cannot be described to the agent; "
                "use named parameters"
            )
        if param.kind is param.POSITIONAL_ONLY:
            raise TypeError(f"tool {fn.__name__}: parameter {name} must not be positional-only")
        schemas[name] = parameter_schema(
            name,
            hints.get(name, param.annotation if param.annotation is not param.empty else None),
            default=param.default,
            description=docs.get(name, ""),
            owner=getattr(fn, "__name__", "tool"),
        )
    return schemas


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import typing

    target = inspect.unwrap(fn)
    return typing.get_type_hints(target, include_extras=True)


@overload
def tool(fn: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make ``fn`` a tool the agent can call (``@tool`` or ``@tool(name=..., description=...)``).

    The description defaults to the docstring's first paragraph; each parameter's type
    comes from its hint (str, int, float, bool, Literal, Enum, list, dict, Optional) and
    its description from the docstring's ``Args:``/``Parameters`` section. Parameters
    with a default or an Optional hint are not required.
    """

    def decorate(target: Callable[P, R]) -> Tool[P, R]:
        made = Tool(target, name=name, description=description)
        _REGISTRY[made.name] = made
        return made

    if fn is not None:
        return decorate(fn)
    return decorate


def registered_tools() -> dict[str, Tool[..., Any]]:
    """A copy of the kernel's registry: tool name -> the latest tool decorated with it."""
    return dict(_REGISTRY)
