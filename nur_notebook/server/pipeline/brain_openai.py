"""The brain on any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's servers).

The same decisions as the local brain, from ``POST {base_url}/chat/completions``
with streaming and the reply constrained by the decision JSON schema. Servers spell
structured output two ways: the OpenAI form ``{"type": "json_schema", "json_schema":
{...}}`` (OpenAI, Ollama, vLLM, llama.cpp's own server) and the older
``{"type": "json_object", "schema": {...}}`` (llama-cpp-python's server). With
``response_format_style="auto"`` the first is tried and, if the server refuses it,
the second, which is then remembered. Every reply is validated again
here, so a server that ignores the schema still cannot call an undefined tool.

    >>> brain = OpenAICompatibleBrain(base_url="http://127.0.0.1:11434/v1",
    ...                               model="qwen2.5-coder:1.5b")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import httpx

from nur_notebook.server.pipeline.base import Brain, BrainEvent, BrainRequest
from nur_notebook.server.pipeline.decision import decision_schema, stream_decision
from nur_notebook.server.pipeline.prompts import chat_messages

ResponseFormatStyle = Literal["auto", "json_schema", "json_object"]


class BrainEndpointError(RuntimeError):
    """The chat endpoint failed or answered something that is not a chat stream."""


def response_format(schema: dict[str, Any], *, style: str) -> dict[str, Any]:
    """The request's ``response_format`` for ``schema`` in one of the two spellings."""
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": "agent_decision", "schema": schema, "strict": True},
    }


def sse_contents(lines: Iterator[str]) -> Iterator[str]:
    """The ``delta.content`` pieces of an OpenAI chat completion event stream."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError as exc:
            raise BrainEndpointError(f"the endpoint sent a bad stream chunk: {data[:80]}") from exc
        if "error" in chunk:
            raise BrainEndpointError(f"the endpoint failed mid-stream: {chunk['error']}")
        for choice in chunk.get("choices", []):
            content = (choice.get("delta") or {}).get("content")
            if content:
                yield str(content)


def _refuses_format(response: httpx.Response) -> bool:
    """Whether a failed request was refused for its ``response_format`` spelling.

    Servers answer 400 or 422, and llama-cpp-python's server a 500 whose body names
    the field.
    """
    if response.status_code in (400, 422):
        return True
    return response.status_code >= 500 and "response_format" in response.text


class OpenAICompatibleBrain(Brain):
    """Decisions from an OpenAI-compatible ``/chat/completions`` endpoint over httpx."""

    name = "openai-compatible"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        # Behaviour
        response_format_style: ResponseFormatStyle = "auto",
        temperature: float = 0.0,
        max_tokens: int = 200,
        # Timeouts
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
        )
        self._style: ResponseFormatStyle = response_format_style
        self._temperature = temperature
        self._max_tokens = max_tokens
        self.model = model
        self.base_url = base_url

    @property
    def description(self) -> str:
        """The endpoint and model, for status endpoints."""
        return f"openai-compatible {self.model} at {self.base_url}"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def respond(self, request: BrainRequest) -> Iterator[BrainEvent]:
        # ``request.session`` is not sent: such servers cache prompt prefixes on their own.
        tools = request.tools if request.allow_tools else []
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(request),
            "stream": True,
            "temperature": self._temperature,
            "max_tokens": self._max_tokens,
        }
        schema = decision_schema(tools)
        styles: list[str] = (
            ["json_schema", "json_object"] if self._style == "auto" else [self._style]
        )
        for index, style in enumerate(styles):
            body["response_format"] = response_format(schema, style=style)
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                last = index == len(styles) - 1
                if response.status_code != 200:
                    response.read()
                    if not last and _refuses_format(response):
                        continue  # this server spells structured output the other way
                    raise BrainEndpointError(
                        f"the chat endpoint answered {response.status_code}: {response.text[:300]}"
                    )
                if self._style == "auto":
                    self._style = "json_schema" if style == "json_schema" else "json_object"
                # Leaving this block (also when the consumer closes us) closes the
                # connection, which makes the server stop generating.
                yield from stream_decision(sse_contents(response.iter_lines()), tools)
                return
