"""Retries, errors and timeouts against a stand-in for the hosted API (real HTTP, loopback)."""

from __future__ import annotations

import time

import pytest
from client_support import Hosted, Reply, free_port

from nur_notebook.client import (
    APIConnectionError,
    APITimeoutError,
    AsyncNurClient,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    NurClient,
    RateLimitError,
)

AGENT = {
    "id": "agt_abc123",
    "name": "Customer Support",
    "voice_id": "rachel_v2",
    "system_prompt": "You are a helpful support agent.",
    "created_at": "2025-01-15T10:30:00Z",
    "status": "active",
}


def error_body(code: str, message: str, param: str | None = None) -> dict[str, object]:
    return {"error": {"type": "x", "code": code, "message": message, "param": param}}


def test_503_then_200_is_retried_and_succeeds(hosted: Hosted) -> None:
    hosted.app.script = [Reply(503), Reply(503), Reply(200, AGENT)]
    with NurClient("sk_test", hosted.base_url, max_retries=2) as client:
        agent = client.agents.retrieve("agt_abc123")
    assert agent.id == "agt_abc123"
    assert agent.language == "en"  # the hosted Agent object may leave it out
    assert [seen.path for seen in hosted.app.seen] == ["/v1/agents/agt_abc123"] * 3
    assert all(s.headers["authorization"] == "Bearer sk_test" for s in hosted.app.seen)


async def test_async_503_then_200(hosted: Hosted) -> None:
    hosted.app.script = [Reply(503), Reply(200, AGENT)]
    async with AsyncNurClient("sk_test", hosted.base_url) as client:
        agent = await client.agents.retrieve("agt_abc123")
    assert agent.name == "Customer Support"
    assert len(hosted.app.seen) == 2


def test_retries_run_out(hosted: Hosted) -> None:
    hosted.app.script = [
        Reply(503, error_body("busy", "Try later"), {"x-request-id": f"req_{n}"}) for n in range(3)
    ]
    with NurClient("sk_test", hosted.base_url, max_retries=2) as client:
        with pytest.raises(InternalServerError) as caught:
            client.voices.list()
    assert len(hosted.app.seen) == 3
    error = caught.value
    assert (error.status_code, error.request_id, error.message) == (503, "req_2", "Try later")
    assert error.body == error_body("busy", "Try later")


def test_retry_after_is_honoured(hosted: Hosted) -> None:
    hosted.app.script = [Reply(429, headers={"retry-after": "1"}), Reply(200, {"data": []})]
    with NurClient("sk_test", hosted.base_url) as client:
        assert client.voices.list() == []
    first, second = hosted.app.seen
    assert second.at - first.at >= 0.95


def test_backoff_without_retry_after_is_short(hosted: Hosted) -> None:
    hosted.app.script = [Reply(500), Reply(200, {"data": []})]
    with NurClient("sk_test", hosted.base_url) as client:
        client.voices.list()
    first, second = hosted.app.seen
    assert 0.3 <= second.at - first.at < 0.9


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, BadRequestError), (401, AuthenticationError), (404, NotFoundError)],
)
def test_client_errors_are_not_retried(
    hosted: Hosted, status: int, error_class: type[Exception]
) -> None:
    hosted.app.script = [Reply(status, error_body("bad", "No good", "voice_id"))]
    with NurClient("sk_test", hosted.base_url) as client:
        with pytest.raises(error_class) as caught:
            client.agents.create(name="x", voice_id="v", system_prompt="p")
    assert len(hosted.app.seen) == 1
    assert getattr(caught.value, "param", None) == "voice_id"


def test_429_exhausted_is_a_rate_limit_error(hosted: Hosted) -> None:
    hosted.app.script = [Reply(429, headers={"retry-after-ms": "10"})] * 2
    with NurClient("sk_test", hosted.base_url, max_retries=1) as client:
        with pytest.raises(RateLimitError):
            client.agents.list()
    assert len(hosted.app.seen) == 2


def test_a_timeout_raises_api_timeout_error(hosted: Hosted) -> None:
    hosted.app.script = [Reply(200, AGENT, delay=3.0)]
    with NurClient("sk_test", hosted.base_url, timeout=0.3, max_retries=0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.agents.retrieve("agt_abc123")
    assert time.monotonic() - started < 2.0


async def test_a_timeout_is_retried_then_succeeds(hosted: Hosted) -> None:
    hosted.app.script = [Reply(200, AGENT, delay=3.0), Reply(200, AGENT)]
    async with AsyncNurClient("sk_test", hosted.base_url, timeout=0.3, max_retries=1) as client:
        agent = await client.agents.retrieve("agt_abc123")
    assert agent.id == "agt_abc123"
    assert len(hosted.app.seen) == 2


def test_connection_refused_is_a_connection_error() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    with NurClient("sk_test", base_url, max_retries=1) as client:
        with pytest.raises(APIConnectionError) as caught:
            client.agents.list()
    assert not isinstance(caught.value, APITimeoutError)


def test_a_non_json_error_body_still_makes_a_clear_error(hosted: Hosted) -> None:
    hosted.app.script = [Reply(404, b"not here")]
    with NurClient("sk_test", hosted.base_url) as client:
        with pytest.raises(NotFoundError) as caught:
            client.sessions.retrieve("ses_1")
    assert caught.value.message == "not here"
    assert caught.value.param is None
