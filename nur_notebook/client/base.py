"""What the sync and async clients share: configuration, headers, reading answers, and
closing at the end of a ``with`` block (the session connections close the same way)."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pydantic

from nur_notebook import __version__
from nur_notebook.client.calls import Call
from nur_notebook.client.errors import APIError, NurConfigError, status_error

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.nur.ai"
#: Seconds for the whole request; connecting gets less so a dead host fails fast.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

API_KEY_ENV = "NUR_API_KEY"
BASE_URL_ENV = "NUR_BASE_URL"


def resolve_api_key(api_key: str | None) -> str:
    """``api_key`` or ``$NUR_API_KEY``; a clear error when neither is set."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not key or not key.strip():
        raise NurConfigError(
            f"No API key: pass api_key=... or set {API_KEY_ENV}. For the local server the key "
            "is in <data dir>/api_key (printed by `nur-notebook serve`)."
        )
    return key.strip()


def resolve_base_url(base_url: str | None) -> str:
    """``base_url`` or ``$NUR_BASE_URL`` or the hosted API, without a trailing slash."""
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise NurConfigError(f"base_url must start with http:// or https://, got {url!r}")
    return url.rstrip("/")


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """An httpx timeout from seconds (or an httpx.Timeout, or None for the default)."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


class ClientConfig:
    """The resolved settings of one client (shared by ``NurClient`` and ``AsyncNurClient``)."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        *,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
    ) -> None:
        if max_retries < 0:
            raise NurConfigError(f"max_retries must be >= 0, got {max_retries}")
        self.api_key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        self.max_retries = max_retries

    def build_request(
        self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]
    ) -> httpx.Request:
        """The httpx request for ``call``."""
        return http.build_request(
            call.method,
            self.base_url + call.path,
            params=dict(call.params) if call.params is not None else None,
            json=call.json if call.method in ("POST", "PUT", "PATCH") else None,
            headers=self.headers(),
            timeout=self.timeout,
        )

    def headers(self) -> dict[str, str]:
        """Headers every request carries."""
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": f"nur-notebook/{__version__}",
        }


def read_response(call: Call[T], response: httpx.Response) -> T:
    """The parsed result of a successful answer, or the matching ``APIStatusError``."""
    if response.is_error:
        raise status_error(response)
    try:
        body = response.json() if response.content else None
        return call.parse(body)
    except (ValueError, TypeError, pydantic.ValidationError) as error:
        raise APIError(
            f"The API answered {call.method} {call.path} with an unexpected body: {error}",
            request=response.request,
        ) from error


class Closing:
    """``with obj:`` closes ``obj`` when the block ends (a subclass defines ``close``)."""

    def close(self) -> None:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClosing:
    """``async with obj:`` closes ``obj`` when the block ends (a subclass defines ``close``)."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
