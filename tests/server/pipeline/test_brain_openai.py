from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from typing import cast

import httpx
import pytest
from brain_turns import LOOKUP, SUPPORT, respond
from nur_server_process import stop_process

from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import (
    BrainEvent,
    BrainRequest,
    Message,
    SayDelta,
    ToolCallDecision,
)
from nur_notebook.server.pipeline.brain_openai import (
    BrainEndpointError,
    OpenAICompatibleBrain,
    response_format,
    sse_contents,
)


def test_sse_contents_reads_deltas_until_done() -> None:
    lines = [
        ": keep-alive",
        'data: {"choices": [{"delta": {"role": "assistant"}}]}',
        "",
        'data: {"choices": [{"delta": {"content": "{\\"say\\": \\"Hi"}}]}',
        'data: {"choices": [{"delta": {"content": "!\\"}"}}]}',
        "data: [DONE]",
        'data: {"choices": [{"delta": {"content": "after done"}}]}',
    ]
    assert list(sse_contents(iter(lines))) == ['{"say": "Hi', '!"}']
    with pytest.raises(BrainEndpointError, match="mid-stream"):
        list(sse_contents(iter(['data: {"error": {"message": "boom"}}'])))


def test_both_response_format_spellings() -> None:
    schema = {"type": "object"}
    assert response_format(schema, style="json_object") == {"type": "json_object", "schema": schema}
    assert response_format(schema, style="json_schema")["json_schema"]["schema"] == schema


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the packaged GGUF, on loopback."""
    pytest.importorskip("sse_starlette", reason="needs the llama-cpp-python[server] deps")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(weights.llm_gguf()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start in time")
            time.sleep(0.5)
        yield base_url
    finally:
        stop_process(process)


@pytest.fixture
def brain(llama_server: str) -> Iterator[OpenAICompatibleBrain]:
    client = OpenAICompatibleBrain(base_url=llama_server, model="qwen", timeout=300)
    yield client
    client.close()


@pytest.mark.engines
def test_endpoint_calls_the_tool_for_an_order_question(brain: OpenAICompatibleBrain) -> None:
    events = respond(brain, [Message("user", "Where is my order 12345?")], [LOOKUP])
    assert events == [ToolCallDecision("lookup_order", {"order_id": "12345"})]


@pytest.mark.engines
def test_endpoint_streams_a_greeting(brain: OpenAICompatibleBrain) -> None:
    events = respond(brain, [Message("user", "Hello! How are you today?")], [LOOKUP])
    assert len(events) >= 3
    assert all(isinstance(event, SayDelta) for event in events)
    # llama-cpp-python's server refuses the json_schema spelling: the brain fell back.
    assert brain._style == "json_object"


@pytest.mark.engines
def test_closing_the_stream_mid_reply(brain: OpenAICompatibleBrain) -> None:
    stream = cast(
        Generator[BrainEvent, None, None],
        brain.respond(
            BrainRequest(
                SUPPORT,
                tools=[],
                language="en",
                history=[Message("user", "Tell me a long story about a dragon.")],
            )
        ),
    )
    assert isinstance(next(stream), SayDelta)
    stream.close()
    again = respond(brain, [Message("user", "Thanks!")], [])
    assert again


@pytest.mark.engines
def test_unreachable_endpoint_is_a_clear_error() -> None:
    brain = OpenAICompatibleBrain(base_url=f"http://127.0.0.1:{_free_port()}/v1", model="x")
    with pytest.raises(httpx.ConnectError):
        list(brain.respond(BrainRequest("x", tools=[], language="en")))
    brain.close()
