"""Every way a request can be invalid: a clear 4xx naming the parameter, and no change."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from rest_support import SEED_AGENT, create_agent, error_of

TOOL = SEED_AGENT["tools"][0]
REMOVE = object()
JSON = {"Content-Type": "application/json"}


def body_with(**changes: Any) -> dict[str, Any]:
    body = {**SEED_AGENT, **changes}
    return {key: value for key, value in body.items() if value is not REMOVE}


CREATE_CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    # missing / empty required fields
    ("missing name", body_with(name=REMOVE), "missing_parameter", "name"),
    ("missing voice_id", body_with(voice_id=REMOVE), "missing_parameter", "voice_id"),
    ("missing prompt", body_with(system_prompt=REMOVE), "missing_parameter", "system_prompt"),
    ("empty name", body_with(name=""), "empty_parameter", "name"),
    ("blank name", body_with(name="   "), "empty_parameter", "name"),
    ("empty prompt", body_with(system_prompt=""), "empty_parameter", "system_prompt"),
    ("empty voice", body_with(voice_id=""), "empty_parameter", "voice_id"),
    # wrong types
    ("name number", body_with(name=42), "invalid_type", "name"),
    ("name null", body_with(name=None), "invalid_type", "name"),
    ("language list", body_with(language=["en"]), "invalid_type", "language"),
    ("max_turns string", body_with(max_turns="30"), "invalid_type", "max_turns"),
    ("max_turns float", body_with(max_turns=30.5), "invalid_type", "max_turns"),
    ("max_turns bool", body_with(max_turns=True), "invalid_type", "max_turns"),
    ("tools object", body_with(tools={"name": "x"}), "invalid_type", "tools"),
    # catalog checks
    ("unknown voice", body_with(voice_id="nobody_v9"), "unknown_voice", "voice_id"),
    ("unsupported language", body_with(language="xx"), "unsupported_language", "language"),
    # max_turns range
    ("max_turns 0", body_with(max_turns=0), "out_of_range", "max_turns"),
    ("max_turns -1", body_with(max_turns=-1), "out_of_range", "max_turns"),
    ("max_turns 1001", body_with(max_turns=1001), "out_of_range", "max_turns"),
    # malformed tools
    (
        "tool without name",
        body_with(tools=[{"description": "x"}]),
        "missing_parameter",
        "tools[0].name",
    ),
    ("tool bad name", body_with(tools=[{"name": "look up"}]), "invalid_format", "tools[0].name"),
    ("tool is a string", body_with(tools=["lookup_order"]), "invalid_type", "tools[0]"),
    (
        "tool unknown field",
        body_with(tools=[{**TOOL, "returns": "string"}]),
        "unknown_parameter",
        "tools[0].returns",
    ),
    (
        "parameters not an object",
        body_with(tools=[{**TOOL, "parameters": ["order_id"]}]),
        "invalid_type",
        "tools[0].parameters",
    ),
    (
        "parameter without type",
        body_with(tools=[{**TOOL, "parameters": {"order_id": {"required": True}}}]),
        "missing_parameter",
        "tools[0].parameters.order_id.type",
    ),
    (
        "parameter unknown type",
        body_with(tools=[{**TOOL, "parameters": {"order_id": {"type": "uuid"}}}]),
        "invalid_value",
        "tools[0].parameters.order_id.type",
    ),
    (
        "required not a bool",
        body_with(tools=[{**TOOL, "parameters": {"id": {"type": "string", "required": "yes"}}}]),
        "invalid_type",
        "tools[0].parameters.id.required",
    ),
    (
        "duplicate tool names",
        body_with(tools=[TOOL, {"name": "other"}, TOOL]),
        "duplicate_tool_name",
        "tools[2].name",
    ),
    # unknown fields
    ("unknown field", body_with(temperature=0.2), "unknown_parameter", "temperature"),
    ("unknown id", body_with(id="agt_mine"), "unknown_parameter", "id"),
]


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [case[1:] for case in CREATE_CASES],
    ids=[case[0] for case in CREATE_CASES],
)
async def test_invalid_agent_is_rejected_and_changes_nothing(
    http: httpx.AsyncClient, body: dict[str, Any], code: str, param: str | None
) -> None:
    response = await http.post("/v1/agents/create", json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert error["message"]
    assert (await http.get("/v1/agents")).json()["total"] == 0


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"name": "Support",', "application/json", 400, "invalid_json"),
        (b"not json at all", "application/json", 400, "invalid_json"),
        (b"[1, 2, 3]", "application/json", 400, "invalid_type"),
        (b'"a string"', "application/json", 400, "invalid_type"),
        (b"", "application/json", 400, "missing_body"),
        (b'{"name": "\xff\xfe"}', "application/json", 400, "invalid_json"),  # not UTF-8
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json"),  # too deep
        (b"name=Support", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (json.dumps(SEED_AGENT).encode(), "text/plain", 415, "unsupported_media_type"),
    ],
)
async def test_non_json_bodies_are_rejected(
    http: httpx.AsyncClient, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = await http.post(
        "/v1/agents/create", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert (await http.get("/v1/agents")).json()["total"] == 0


async def test_a_body_over_the_limit_gets_413(app: FastAPI, http: httpx.AsyncClient) -> None:
    limit = app.state.config.max_body_bytes
    body = body_with(system_prompt="x" * limit)
    response = await http.post("/v1/agents/create", json=body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"
    assert (await http.get("/v1/agents")).json()["total"] == 0


async def test_a_chunked_body_over_the_limit_gets_413(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    limit = app.state.config.max_body_bytes
    chunk = b" " * 65536

    async def chunks() -> Any:
        yield b'{"name": "x", "voice_id": "rachel_v2", "system_prompt": "p"'
        for _ in range(limit // len(chunk) + 1):
            yield chunk
        yield b"}"

    response = await http.post(
        "/v1/agents/create", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"


async def test_a_chunked_body_under_the_limit_is_accepted(http: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        data = json.dumps(SEED_AGENT).encode()
        for start in range(0, len(data), 16):
            yield data[start : start + 16]

    response = await http.post(
        "/v1/agents/create", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == SEED_AGENT["name"]


@pytest.mark.parametrize(
    ("field", "param"),
    [
        ("name", "name"),
        ("system_prompt", "system_prompt"),
        ("tools", "tools[0].description"),
    ],
)
async def test_strings_that_cannot_be_stored_are_rejected(
    http: httpx.AsyncClient, field: str, param: str
) -> None:
    value: Any = "\ud800"
    if field == "tools":
        value = [{"name": "t", "description": "\ud800"}]
    # JSON with the escape "\ud800", as a client in another language could send it.
    content = json.dumps(body_with(**{field: value})).encode()
    response = await http.post("/v1/agents/create", content=content, headers=JSON)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error["param"]) == ("invalid_value", param)
    assert (await http.get("/v1/agents")).json()["total"] == 0


async def test_a_lone_surrogate_in_session_metadata_is_rejected(http: httpx.AsyncClient) -> None:
    agent = await create_agent(http)
    content = json.dumps({"metadata": {"note": "\udfff"}}).encode()
    response = await http.post(f"/v1/agents/{agent['id']}/sessions", content=content, headers=JSON)
    assert response.status_code == 400
    assert error_of(response)["param"] == "metadata.note"


@pytest.mark.parametrize(
    ("query", "code", "param"),
    [
        ("limit=0", "out_of_range", "limit"),
        ("limit=101", "out_of_range", "limit"),
        ("limit=-5", "out_of_range", "limit"),
        ("limit=ten", "invalid_type", "limit"),
        ("limit=2.5", "invalid_type", "limit"),
        ("offset=-1", "out_of_range", "offset"),
        ("offset=x", "invalid_type", "offset"),
    ],
)
async def test_invalid_list_parameters(
    http: httpx.AsyncClient, query: str, code: str, param: str
) -> None:
    response = await http.get(f"/v1/agents?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param)


SESSION_CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("metadata list", {"metadata": ["a"]}, "invalid_type", "metadata"),
    ("metadata nested", {"metadata": {"user": {"id": 1}}}, "invalid_type", "metadata"),
    ("metadata too many", {"metadata": {f"k{i}": i for i in range(51)}}, "too_long", "metadata"),
    ("message number", {"initial_message": 7}, "invalid_type", "initial_message"),
    ("message blank", {"initial_message": "  "}, "empty_parameter", "initial_message"),
    ("message too long", {"initial_message": "x" * 4001}, "too_long", "initial_message"),
    ("unknown field", {"greeting": "hi"}, "unknown_parameter", "greeting"),
    ("agent mismatch", {"agent_id": "agt_other"}, "agent_id_mismatch", "agent_id"),
]


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [case[1:] for case in SESSION_CASES],
    ids=[case[0] for case in SESSION_CASES],
)
async def test_invalid_session_is_rejected_and_changes_nothing(
    app: FastAPI, http: httpx.AsyncClient, body: dict[str, Any], code: str, param: str | None
) -> None:
    agent = await create_agent(http)
    response = await http.post(f"/v1/agents/{agent['id']}/sessions", json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param)
    with app.state.store.transaction() as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
