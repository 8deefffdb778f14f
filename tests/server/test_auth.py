"""Bearer keys: 401s, one account per key (404 across accounts), the first key."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from rest_support import asgi_client, create_agent, error_of

from nur_notebook.server.app import create_app
from nur_notebook.server.auth import authenticate_bearer, create_api_key, ensure_api_key
from nur_notebook.server.config import ServerConfig
from nur_notebook.server.store import Store

ROUTES = [
    ("POST", "/v1/agents/create"),
    ("GET", "/v1/agents"),
    ("GET", "/v1/agents/agt_x"),
    ("DELETE", "/v1/agents/agt_x"),
    ("POST", "/v1/agents/agt_x/sessions"),
    ("GET", "/v1/sessions/ses_x"),
    ("GET", "/v1/voices"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        ("Bearer", "missing_api_key"),
        ("Basic dXNlcjpwYXNz", "missing_api_key"),
        ("Bearer nur_sk_not_a_real_key", "invalid_api_key"),
    ],
)
async def test_every_route_needs_a_valid_key(
    anonymous: httpx.AsyncClient, method: str, path: str, authorization: str | None, code: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await anonymous.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    error = error_of(response)
    assert (error["type"], error["code"]) == ("authentication_error", code)


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b'{"name": ', {}),
        (b"[]", {"Authorization": "Bearer nur_sk_wrong"}),
        (b'{"name": 42}', {"Authorization": "Basic abc"}),
    ],
)
async def test_auth_is_checked_before_the_body(
    anonymous: httpx.AsyncClient, content: bytes, headers: dict[str, str]
) -> None:
    headers = {**headers, "Content-Type": "application/json"}
    response = await anonymous.post("/v1/agents/create", content=content, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["type"] == "authentication_error"


async def test_health_needs_no_key(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_a_revoked_key_stops_working(app: FastAPI) -> None:
    made = create_api_key(app.state.store, label="temp")
    async with asgi_client(app, made.secret) as http:
        assert (await http.get("/v1/agents")).status_code == 200
        assert app.state.store.revoke_api_key(made.record.key_id)
        response = await http.get("/v1/agents")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_api_key"


async def test_keys_are_accounts_and_never_see_each_other(
    http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    mine = await create_agent(http, name="Mine")
    theirs = await create_agent(other, name="Theirs")
    session = (await http.post(f"/v1/agents/{mine['id']}/sessions")).json()

    assert [a["id"] for a in (await http.get("/v1/agents")).json()["data"]] == [mine["id"]]
    assert [a["id"] for a in (await other.get("/v1/agents")).json()["data"]] == [theirs["id"]]
    # Another account's objects look exactly like missing ones: 404, not 403.
    for response in [
        await other.get(f"/v1/agents/{mine['id']}"),
        await other.delete(f"/v1/agents/{mine['id']}"),
        await other.post(f"/v1/agents/{mine['id']}/sessions"),
        await other.get(f"/v1/sessions/{session['session_id']}"),
    ]:
        assert response.status_code == 404
        assert error_of(response)["type"] == "not_found_error"
    # ...and nothing changed for the owner.
    assert (await http.get(f"/v1/agents/{mine['id']}")).json()["status"] == "active"
    status = (await http.get(f"/v1/sessions/{session['session_id']}")).json()["status"]
    assert status == "active"


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    store = Store(tmp_path / "nur.sqlite3")
    made = create_api_key(store)
    store.close()
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert made.secret.encode() not in raw
    assert made.secret.startswith("nur_sk_")
    assert len(made.secret) > 40


def test_authenticate_bearer_for_the_websocket_handshake(tmp_path: Path) -> None:
    store = Store(tmp_path / "nur.sqlite3")
    made = create_api_key(store)
    account = authenticate_bearer(store, f"Bearer {made.secret}")
    assert account is not None
    assert (account.account_id, account.key_id) == (made.record.account_id, made.record.key_id)
    assert authenticate_bearer(store, f"bearer   {made.secret}  ") == account
    for bad in (None, "", made.secret, f"Token {made.secret}", "Bearer nope"):
        assert authenticate_bearer(store, bad) is None
    store.close()


def test_first_start_writes_a_private_key_file_and_later_starts_reuse_it(
    tmp_path: Path,
) -> None:
    config = ServerConfig(data_dir=tmp_path, engines=False)
    first = create_app(config)
    key = first.state.bootstrap_key
    assert key.created
    assert config.files.api_key.read_text().strip() == key.secret
    assert stat.S_IMODE(config.files.api_key.stat().st_mode) == 0o600
    first.state.store.close()

    second = create_app(config)
    assert not second.state.bootstrap_key.created
    assert second.state.bootstrap_key.secret == key.secret
    assert len(second.state.store.list_api_keys()) == 1
    second.state.store.close()


def test_a_revoked_key_file_is_replaced(tmp_path: Path) -> None:
    store = Store(tmp_path / "nur.sqlite3")
    first = ensure_api_key(store, tmp_path / "api_key")
    record = store.list_api_keys()[0]
    store.revoke_api_key(record.key_id)
    second = ensure_api_key(store, tmp_path / "api_key")
    assert second.created
    assert second.secret != first.secret
    assert (tmp_path / "api_key").read_text().strip() == second.secret
    store.close()
