from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import json
import math
import threading
import uuid
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from nur_notebook.realtime.tools import (
    MAX_OUTPUT_BYTES,
    ToolFunction,
    ToolOutcome,
    call_tool,
    json_safe,
)


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Order:
    order_id: str
    placed: dt.date
    tags: set[str]


def test_json_safe_converts_common_python_values() -> None:
    value = {
        "order": Order("12345", dt.date(2025, 1, 15), {"b", "a"}),
        "color": Color.RED,
        "price": Decimal("9.50"),
        "path": PurePosixPath("/tmp/x"),
        "id": uuid.UUID(int=1),
        "blob": b"\x00\x01",
        "array": np.arange(3),
        "scalar": np.float32(0.5),
        "nan": math.nan,
        7: (1, 2),
        "other": object(),
    }
    safe = json_safe(value)
    json.dumps(safe, allow_nan=False)  # really plain JSON
    assert safe["order"] == {"order_id": "12345", "placed": "2025-01-15", "tags": ["a", "b"]}
    assert safe["color"] == "red"
    assert safe["price"] == 9.5
    assert safe["path"] == "/tmp/x"
    assert safe["id"] == "00000000-0000-0000-0000-000000000001"
    assert safe["blob"] == "AAE="
    assert safe["array"] == [0, 1, 2]
    assert safe["scalar"] == 0.5
    assert safe["nan"] is None
    assert safe["7"] == [1, 2]
    assert safe["other"].startswith("<object object")


def test_json_safe_cuts_cycles() -> None:
    loop: list[Any] = []
    loop.append(loop)
    json.dumps(json_safe(loop))


async def test_sync_tools_run_in_a_worker_thread_with_keyword_arguments() -> None:
    seen: dict[str, Any] = {}

    def lookup_order(order_id: str, *, verbose: bool = False) -> dict[str, Any]:
        seen["thread"] = threading.current_thread()
        return {"order_id": order_id, "verbose": verbose}

    outcome = await call_tool(
        {"lookup_order": lookup_order}, "lookup_order", {"order_id": "1", "verbose": True}
    )
    assert outcome == ToolOutcome(output={"order_id": "1", "verbose": True})
    assert seen["thread"] is not threading.main_thread()


async def test_async_tools_are_awaited() -> None:
    async def weather(city: str) -> str:
        await asyncio.sleep(0)
        return f"sunny in {city}"

    outcome = await call_tool({"weather": weather}, "weather", {"city": "Oslo"})
    assert outcome == ToolOutcome(output="sunny in Oslo")


async def test_exceptions_become_error_results_with_the_message() -> None:
    def broken(order_id: str) -> str:
        raise LookupError(f"order {order_id} not found")

    outcome = await call_tool({"broken": broken}, "broken", {"order_id": "9"})
    assert outcome == ToolOutcome(output="LookupError: order 9 not found", is_error=True)


async def test_wrong_arguments_unknown_tools_and_huge_outputs_are_error_results() -> None:
    def lookup_order(order_id: str) -> str:
        return order_id

    def huge() -> str:
        return "x" * (MAX_OUTPUT_BYTES + 1)

    tools: dict[str, ToolFunction] = {"lookup_order": lookup_order, "huge": huge}
    wrong = await call_tool(tools, "lookup_order", {"order": "1"})
    assert wrong.is_error
    assert "unexpected keyword argument 'order'" in wrong.output
    not_object = await call_tool(tools, "lookup_order", ["1"])
    assert not_object == ToolOutcome(output="arguments must be an object, got ['1']", is_error=True)
    unknown = await call_tool(tools, "refund", {})
    assert unknown.is_error
    assert "'refund'" in unknown.output
    assert "huge, lookup_order" in unknown.output
    big = await call_tool(tools, "huge", {})
    assert big.is_error
    assert "exceeds" in big.output
