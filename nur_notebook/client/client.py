"""``NurClient`` (blocking) and ``AsyncNurClient``: the Nur API over httpx.

Example::

    from nur_notebook import NurClient

    client = NurClient()                       # NUR_API_KEY, NUR_BASE_URL
    agent = client.agents.create(name="Support", voice_id="rachel_v2",
                                 system_prompt="You are a friendly support agent.")
    session = client.agents.sessions.create(agent_id=agent.id)
    print(session.websocket_url)
"""

from __future__ import annotations

import asyncio
import time
from functools import cached_property
from typing import Generic, TypeVar

import httpx

from nur_notebook.client.base import AsyncClosing, ClientConfig, Closing, read_response
from nur_notebook.client.calls import Call
from nur_notebook.client.errors import APIConnectionError, APITimeoutError
from nur_notebook.client.resources import (
    Agents,
    AsyncAgents,
    AsyncSessions,
    AsyncVoices,
    Sessions,
    Voices,
)
from nur_notebook.client.retries import DEFAULT_MAX_RETRIES, retry_delay, should_retry_status

T = TypeVar("T")
#: The httpx client a client sends with: ``httpx.Client`` or ``httpx.AsyncClient``.
H = TypeVar("H", httpx.Client, httpx.AsyncClient)


def _transport_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out: {error}", request=request)
    return APIConnectionError(f"Connection error: {error}", request=request)


class _ConfiguredClient(Generic[H]):
    """What the blocking and asyncio clients share: their configuration (read-only) and
    the httpx client they send with (``H``), made by ``_new_http`` unless one is passed."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: H | None = None,
    ) -> None:
        self._config = ClientConfig(api_key, base_url, timeout=timeout, max_retries=max_retries)
        self._owns_http = http_client is None
        self._http: H = http_client if http_client is not None else self._new_http()

    def _new_http(self) -> H:
        raise NotImplementedError

    @property
    def api_key(self) -> str:
        """The API key requests are sent with."""
        return self._config.api_key

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:8787``."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """How many times a retryable failure is tried again."""
        return self._config.max_retries


class NurClient(_ConfiguredClient[httpx.Client], Closing):
    """Blocking client: ``client.agents``, ``client.agents.sessions``, ``client.sessions``,
    ``client.voices``. Close it (or use ``with``) to release its connections."""

    def _new_http(self) -> httpx.Client:
        return httpx.Client()

    @cached_property
    def agents(self) -> Agents:
        """Agents, and their sessions as ``agents.sessions``."""
        return Agents(self)

    @cached_property
    def sessions(self) -> Sessions:
        """Sessions by id."""
        return Sessions(self)

    @cached_property
    def voices(self) -> Voices:
        """The voices the API can speak."""
        return Voices(self)

    def request(self, call: Call[T]) -> T:
        """Send ``call``, retrying as the retry policy allows, and parse the answer."""
        attempt = 0
        while True:
            request = self._config.build_request(self._http, call)
            try:
                response = self._http.send(request)
            except httpx.TransportError as error:
                if attempt >= self.max_retries:
                    raise _transport_error(error, request) from error
                time.sleep(retry_delay(attempt))
            else:
                if not (should_retry_status(response.status_code) and attempt < self.max_retries):
                    return read_response(call, response)
                response.close()
                time.sleep(retry_delay(attempt, headers=response.headers))
            attempt += 1

    def close(self) -> None:
        """Release the connections (unless the httpx client was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> NurClient:
        return self

    def __repr__(self) -> str:
        return f"NurClient(base_url={self.base_url!r})"


class AsyncNurClient(_ConfiguredClient[httpx.AsyncClient], AsyncClosing):
    """The asyncio twin of ``NurClient``: the same namespaces, methods are coroutines."""

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient()

    @cached_property
    def agents(self) -> AsyncAgents:
        """Agents, and their sessions as ``agents.sessions``."""
        return AsyncAgents(self)

    @cached_property
    def sessions(self) -> AsyncSessions:
        """Sessions by id."""
        return AsyncSessions(self)

    @cached_property
    def voices(self) -> AsyncVoices:
        """The voices the API can speak."""
        return AsyncVoices(self)

    async def request(self, call: Call[T]) -> T:
        """Send ``call``, retrying as the retry policy allows, and parse the answer."""
        attempt = 0
        while True:
            request = self._config.build_request(self._http, call)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as error:
                if attempt >= self.max_retries:
                    raise _transport_error(error, request) from error
                await asyncio.sleep(retry_delay(attempt))
            else:
                if not (should_retry_status(response.status_code) and attempt < self.max_retries):
                    return read_response(call, response)
                await response.aclose()
                await asyncio.sleep(retry_delay(attempt, headers=response.headers))
            attempt += 1

    async def close(self) -> None:
        """Release the connections (unless the httpx client was passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncNurClient:
        return self

    def __repr__(self) -> str:
        return f"AsyncNurClient(base_url={self.base_url!r})"
