"""Tool definitions built from signatures, hints and docstrings (pure, no server)."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal, Optional

import pytest

from nur_notebook.notebook import tools as tools_module
from nur_notebook.notebook.tools import Tool, registered_tools, tool


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


def test_seed_tool_definition_from_google_docstring() -> None:
    @tool
    def lookup_order(order_id: str) -> dict[str, str]:
        """Look up order status by ID.

        Args:
            order_id: The order number.
        """
        return {"order_id": order_id, "status": "shipped"}

    assert lookup_order.definition == {
        "name": "lookup_order",
        "description": "Look up order status by ID.",
        "parameters": {
            "order_id": {"type": "string", "required": True, "description": "The order number."}
        },
    }
    assert lookup_order("A1") == {"order_id": "A1", "status": "shipped"}
    assert lookup_order.__name__ == "lookup_order"
    assert registered_tools()["lookup_order"] is lookup_order


def test_every_supported_type_maps_to_its_json_type() -> None:
    @tool
    def everything(
        a: str,
        b: int,
        c: float,
        d: bool,
        e: list[str],
        f: dict[str, Any],
        g: Literal["red", "green"],
        h: Size,
        i: Optional[int] = None,  # noqa: UP045 (the old spelling is what is tested)
        j: int | None = None,
        k: tuple[int, ...] = (),
        m: Literal[1, 2, 3] = 1,
    ) -> None:
        """Do everything."""

    params = everything.parameters
    assert {name: spec["type"] for name, spec in params.items()} == {
        "a": "string",
        "b": "integer",
        "c": "number",
        "d": "boolean",
        "e": "array",
        "f": "object",
        "g": "string",
        "h": "string",
        "i": "integer",
        "j": "integer",
        "k": "array",
        "m": "integer",
    }
    assert params["g"]["enum"] == ["red", "green"]
    assert params["h"]["enum"] == ["small", "large"]
    assert params["m"]["enum"] == [1, 2, 3]
    required = {name for name, spec in params.items() if spec["required"]}
    assert required == {"a", "b", "c", "d", "e", "f", "g", "h"}
    assert "description" not in params["a"]  # undocumented parameters carry none


def test_numpy_docstring_and_multiline_descriptions() -> None:
    @tool
    def book(city: str, nights: int = 1) -> str:
        """Book a hotel room.

        Longer text that is not the summary.

        Parameters
        ----------
        city : str
            Where to stay,
            as a city name.
        nights : int
            How many nights.

        Returns
        -------
        str
            The booking reference.
        """
        return f"{city}-{nights}"

    assert book.description == "Book a hotel room."
    assert book.parameters["city"]["description"] == "Where to stay, as a city name."
    assert book.parameters["nights"] == {
        "type": "integer",
        "required": False,
        "description": "How many nights.",
    }


def test_google_docstring_with_types_and_continuations() -> None:
    @tool(name="find", description="Find things.")
    def search(query: str, limit: int = 5) -> list[str]:
        """Ignored summary.

        Args:
            query (str): What to look for,
                in plain words.
            limit: At most this many.

        Returns:
            The matches.
        """
        return [query] * limit

    assert search.name == "find"
    assert search.definition["description"] == "Find things."
    assert search.parameters["query"]["description"] == "What to look for, in plain words."
    assert search.parameters["limit"]["description"] == "At most this many."
    assert "find" in registered_tools()


def test_annotated_description_and_default_inferred_type() -> None:
    @tool
    def greet(name: Annotated[str, "Who to greet."], times=2) -> str:  # type: ignore[no-untyped-def]
        """Greet."""
        return name * times

    assert greet.parameters["name"]["description"] == "Who to greet."
    assert greet.parameters["times"] == {"type": "integer", "required": False}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(*args: int) -> None: ...", "named parameters"),
        ("def f(**kw: int) -> None: ...", "named parameters"),
        ("def f(x: int, /) -> None: ...", "positional-only"),
        ("def f(x: object) -> None: ...", "cannot send"),
        ("def f(x: int | str) -> None: ...", "cannot send"),
        ("from typing import Literal\ndef f(x: Literal[1, 'a']) -> None: ...", "must all be str"),
        ("def f(x: 'Missing') -> None: ...", "cannot resolve"),
    ],
)
def test_functions_that_cannot_be_tools_give_clear_errors(source: str, message: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(TypeError, match=message):
        tool(namespace["f"])


async def test_invoke_sync_and_async_with_enum_conversion() -> None:
    seen: list[Any] = []

    @tool
    def pick(size: Size, count: int = 1) -> str:
        """Pick a size."""
        seen.append((size, count))
        return size.name

    @tool
    async def later(text: str) -> str:
        """Echo later."""
        return text.upper()

    assert await pick.invoke({"size": "large", "count": 2.0}) == "LARGE"
    assert seen == [(Size.LARGE, 2)]
    assert isinstance(seen[0][1], int)
    assert await later.invoke({"text": "hi"}) == "HI"
    with pytest.raises(ValueError, match="one of"):
        await pick.invoke({"size": "medium"})
    with pytest.raises(TypeError, match="unexpected arguments: colour"):
        await pick.invoke({"size": "small", "colour": "red"})
    with pytest.raises(TypeError, match="missing required arguments: size"):
        await pick.invoke({})


def test_redecorating_replaces_the_registry_entry() -> None:
    def first(x: str) -> str:
        """One."""
        return x

    def second(x: str) -> str:
        """Two."""
        return x

    a = tool(name="same_name")(first)
    b = tool(name="same_name")(second)
    assert registered_tools()["same_name"] is b
    assert a is not b
    assert isinstance(b, Tool)
    assert "same_name" in repr(b)
    tools_module._REGISTRY.pop("same_name")


def test_invalid_tool_name_is_refused() -> None:
    with pytest.raises(ValueError, match="identifier"):
        tool(name="not valid")(lambda: None)


async def test_call_from_agent_is_what_the_session_client_runs() -> None:
    from nur_notebook.realtime.tools import call_tool

    @tool
    def pick_size(size: Size) -> str:
        """Pick."""
        return f"picked {size.name}"

    @tool
    async def slow_echo(text: str) -> str:
        """Echo."""
        return text

    handlers = {t.name: t.call_from_agent for t in (pick_size, slow_echo)}
    done = await call_tool(handlers, "pick_size", {"size": "small"})
    assert (done.output, done.is_error) == ("picked SMALL", False)
    done = await call_tool(handlers, "slow_echo", {"text": "hi"})
    assert (done.output, done.is_error) == ("hi", False)
    failed = await call_tool(handlers, "pick_size", {"size": "huge"})
    assert failed.is_error
    assert "must be one of ['small', 'large']" in failed.output
