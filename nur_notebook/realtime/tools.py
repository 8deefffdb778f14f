"""Answering ``tool.call`` events with Python functions, apart from the socket.

``call_tool`` runs one function with the call's arguments: a sync function in a worker
thread (a slow lookup must not stall the session's event loop), an async one awaited.
Whatever it returns is made JSON-safe by ``json_safe``; whatever it raises becomes an
error result carrying the exception's message, which the agent sees.

    >>> import asyncio
    >>> def lookup_order(order_id: str) -> dict[str, str]:
    ...     return {"order_id": order_id, "status": "shipped"}
    >>> asyncio.run(call_tool({"lookup_order": lookup_order}, "lookup_order", {"order_id": "1"}))
    ToolOutcome(output={'order_id': '1', 'status': 'shipped'}, is_error=False)
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import enum
import inspect
import json
import math
import pathlib
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from nur_notebook.protocol.events import MAX_EVENT_BYTES

#: A tool function: sync or async, called with the call's arguments as keywords.
ToolFunction = Callable[..., Any]

#: Room left in a text frame for the ``tool.result`` envelope around the output.
_ENVELOPE_BYTES = 512
#: Largest serialised output sent; a bigger one becomes an error result instead.
MAX_OUTPUT_BYTES = MAX_EVENT_BYTES - _ENVELOPE_BYTES
#: Nesting deeper than this is cut (and cycles with it).
_MAX_DEPTH = 32


@dataclasses.dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced: a JSON-safe ``output`` and whether it is an error."""

    output: Any
    is_error: bool = False


def json_safe(value: Any, *, _depth: int = 0) -> Any:
    """``value`` as plain JSON data (dict/list/str/int/float/bool/None).

    Dataclasses, pydantic models, mappings, sequences, sets, enums, dates, paths, UUIDs,
    decimals, bytes (base64) and numpy values are converted; NaN and infinities become
    null (JSON has no such numbers); anything else becomes its ``repr``.
    """
    if _depth > _MAX_DEPTH:
        return "<nested too deeply>"
    deeper = _depth + 1
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return json_safe(value.value, _depth=deeper)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, _depth=deeper) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, _depth=deeper) for v in value]
    if isinstance(value, set | frozenset):
        items = [json_safe(v, _depth=deeper) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return json_safe(float(value), _depth=deeper)
    if isinstance(value, pathlib.PurePath | uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return json_safe(fields, _depth=deeper)
    model_dump = getattr(value, "model_dump", None)  # pydantic v2
    if callable(model_dump) and not isinstance(value, type):
        return json_safe(model_dump(mode="json"), _depth=deeper)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist) and not isinstance(value, type):
        return json_safe(tolist(), _depth=deeper)
    return repr(value)


def outcome_from_value(value: Any) -> ToolOutcome:
    """A successful outcome, or an error one when ``value`` is too big for one event."""
    output = json_safe(value)
    size = len(json.dumps(output, ensure_ascii=False).encode("utf-8"))
    if size > MAX_OUTPUT_BYTES:
        return ToolOutcome(
            output=f"tool output of {size} bytes exceeds the {MAX_OUTPUT_BYTES}-byte limit",
            is_error=True,
        )
    return ToolOutcome(output=output)


def outcome_from_exception(exc: BaseException) -> ToolOutcome:
    """An error outcome whose output names the exception and its message."""
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return ToolOutcome(output=text[: MAX_OUTPUT_BYTES // 4], is_error=True)


async def call_tool(tools: Mapping[str, ToolFunction], name: str, arguments: Any) -> ToolOutcome:
    """Run the tool ``name`` with ``arguments``; never raises (errors become outcomes)."""
    fn = tools.get(name)
    if fn is None:
        known = ", ".join(sorted(tools)) or "none"
        return ToolOutcome(output=f"no function for tool {name!r} (known: {known})", is_error=True)
    if not isinstance(arguments, Mapping):
        return ToolOutcome(output=f"arguments must be an object, got {arguments!r}", is_error=True)
    kwargs = {str(k): v for k, v in arguments.items()}
    try:
        if inspect.iscoroutinefunction(fn):
            value = await fn(**kwargs)
        else:
            value = await asyncio.to_thread(fn, **kwargs)
            if inspect.isawaitable(value):  # a sync wrapper around a coroutine function
                value = await value
        return outcome_from_value(value)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return outcome_from_exception(exc)
