"""The error shape everywhere: request ids, unknown routes, crashes, and the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from nur_notebook.server.errors import from_validation_error, param_path


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "tools", 0, "name"), "tools[0].name"),
        (
            ("body", "tools", 2, "parameters", "order_id", "type"),
            "tools[2].parameters.order_id.type",
        ),
        (("query", "limit"), "limit"),
        (("body",), None),
        ((), None),
    ],
)
def test_param_path(loc: tuple[int | str, ...], expected: str | None) -> None:
    assert param_path(loc) == expected


def test_validation_errors_become_one_clear_message() -> None:
    error = from_validation_error([{"type": "missing", "loc": ("body", "name"), "msg": "x"}])
    assert (error.status_code, error.code, error.param) == (400, "missing_parameter", "name")
    assert error.message == "Missing required parameter 'name'."
    assert from_validation_error([]).code == "invalid_request"


async def test_every_response_has_a_request_id(http: httpx.AsyncClient) -> None:
    ok = await http.get("/v1/agents")
    bad = await http.get("/v1/agents?limit=0")
    assert ok.headers["x-request-id"].startswith("req_")
    assert bad.headers["x-request-id"].startswith("req_")
    assert ok.headers["x-request-id"] != bad.headers["x-request-id"]


async def test_unknown_routes_and_methods(http: httpx.AsyncClient) -> None:
    missing = await http.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_route"
    wrong = await http.put("/v1/agents/create", json={})
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "bad_method"


async def test_an_unexpected_crash_is_a_json_500_and_the_server_carries_on(
    app: FastAPI, api_key: str
) -> None:
    crash = APIRouter()

    @crash.get("/v1/crash")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    app.include_router(crash)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=headers
    ) as http:
        response = await http.get("/v1/crash")
        assert response.status_code == 500
        assert response.json()["error"]["type"] == "api_error"
        assert "kaboom" not in response.text
        assert response.headers["x-request-id"].startswith("req_")
        assert (await http.get("/v1/agents")).status_code == 200


def test_openapi_describes_what_the_server_accepts(app: FastAPI) -> None:
    schema = app.openapi()
    paths = schema["paths"]
    assert set(paths["/v1/agents/create"]) == {"post"}
    assert set(paths["/v1/agents/{agent_id}"]) == {"get", "delete"}
    assert "post" in paths["/v1/agents/{agent_id}/sessions"]
    assert "get" in paths["/v1/sessions/{session_id}"]
    assert "get" in paths["/v1/voices"]
    create = paths["/v1/agents/create"]["post"]
    assert "422" not in create["responses"]
    assert {"200", "400", "401"} <= set(create["responses"])
    body = schema["components"]["schemas"]["AgentCreate"]
    assert set(body["required"]) == {"name", "voice_id", "system_prompt"}
    assert body["additionalProperties"] is False
    assert body["properties"]["max_turns"]["maximum"] == 1000
    listing = {p["name"]: p for p in paths["/v1/agents"]["get"]["parameters"]}
    assert listing["limit"]["schema"]["maximum"] == 100
    assert listing["limit"]["schema"]["default"] == 20
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_openapi_is_served(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/openapi.json")
    assert response.status_code == 200
    assert "/v1/agents/create" in response.json()["paths"]
