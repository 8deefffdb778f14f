"""Fixtures: the real app on a temporary data dir, reached in-process over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from rest_support import asgi_client

from nur_notebook.server.app import create_app
from nur_notebook.server.auth import create_api_key
from nur_notebook.server.config import ServerConfig


@pytest.fixture
def config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(data_dir=tmp_path / "data", engines=False)


@pytest.fixture
def app(config: ServerConfig) -> Iterator[FastAPI]:
    application = create_app(config)
    yield application
    application.state.store.close()


@pytest.fixture
def api_key(app: FastAPI) -> str:
    secret: str = app.state.bootstrap_key.secret
    return secret


@pytest.fixture
def other_key(app: FastAPI) -> str:
    """A second key: another account."""
    return create_api_key(app.state.store, label="other").secret


@pytest.fixture
async def http(app: FastAPI, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, api_key) as client:
        yield client


@pytest.fixture
async def other(app: FastAPI, other_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, other_key) as client:
        yield client


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, None) as client:
        yield client
