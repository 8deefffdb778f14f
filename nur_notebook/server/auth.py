"""Bearer API keys: making them, checking them, and the first key of a new server.

Each key is its own account: agents and sessions belong to the account of the key that
created them, and another key gets 404 for them. Keys are stored as SHA-256 hashes; the
secret is shown once, when it is made.

The session WebSocket authenticates its handshake with the same store::

    account = authenticate_bearer(store, websocket.headers.get("authorization"))
    if account is None:
        await websocket.close(code=4401)
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nur_notebook.server.api_error import unauthorized
from nur_notebook.server.ids import ACCOUNT_PREFIX, KEY_PREFIX, new_id
from nur_notebook.server.store import ApiKeyRecord, Store

#: Every secret starts with this, so a leaked key is easy to spot in logs and code.
SECRET_PREFIX = "nur_sk_"
_SHOWN_PREFIX_CHARS = len(SECRET_PREFIX) + 6


@dataclass(frozen=True)
class Account:
    """Who a request acts for: the account of the key it presented."""

    account_id: str
    key_id: str


@dataclass(frozen=True)
class NewApiKey:
    """A freshly made key: the secret (shown once) and its stored record."""

    secret: str
    record: ApiKeyRecord


def hash_key(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(store: Store, *, label: str = "") -> NewApiKey:
    """Make a key with a new account of its own and store its hash."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    record = store.add_api_key(
        key_id=new_id(KEY_PREFIX, length=16),
        account_id=new_id(ACCOUNT_PREFIX, length=16),
        key_hash=hash_key(secret),
        prefix=secret[:_SHOWN_PREFIX_CHARS],
        label=label,
    )
    return NewApiKey(secret, record)


def authenticate_bearer(store: Store, authorization: str | None) -> Account | None:
    """The account of an ``Authorization: Bearer <key>`` header value, or None."""
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    record = store.find_api_key(hash_key(secret))
    return Account(record.account_id, record.key_id) if record else None


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer nur_sk_...`")


def check_authorization(store: Store, authorization: str | None) -> Account:
    """The account of an ``Authorization`` header value, or the API's 401 error."""
    scheme, _, secret = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized(
            "Missing API key: send 'Authorization: Bearer <key>'.", code="missing_api_key"
        )
    account = authenticate_bearer(store, authorization)
    if account is None:
        raise unauthorized("Invalid or revoked API key.", code="invalid_api_key")
    return account


def require_account(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """FastAPI dependency: the caller's account, or a 401 in the API's error shape."""
    del credentials  # declared for the OpenAPI security scheme; the header is read below
    store: Store = request.app.state.store
    return check_authorization(store, request.headers.get("authorization"))


CurrentAccount = Annotated[Account, Depends(require_account)]


@dataclass(frozen=True)
class BootstrapKey:
    """The key written to ``<data_dir>/api_key``; ``secret`` is set only when just made."""

    path: Path
    secret: str | None
    created: bool


def ensure_api_key(store: Store, path: Path) -> BootstrapKey:
    """Make sure ``path`` holds a working key, making (and writing) one if needed.

    A first start has no key file, so it gets a new key. A key file whose key was
    revoked is replaced. The file is written with mode 0600.
    """
    if path.exists():
        existing = path.read_text(encoding="utf-8").strip()
        if authenticate_bearer(store, f"Bearer {existing}") is not None:
            return BootstrapKey(path, existing, created=False)
    made = create_api_key(store, label="local")
    write_secret(path, made.secret)
    return BootstrapKey(path, made.secret, created=True)


def write_secret(path: Path, secret: str) -> None:
    """Write ``secret`` to ``path`` readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
