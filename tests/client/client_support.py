"""Helpers for the client tests: a scripted stand-in for the hosted API."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Live:
    """A running ``nur-notebook serve``: where it listens and its key."""

    base_url: str
    api_key: str


@dataclass
class Reply:
    """One scripted answer of the stand-in (``bytes`` bodies are sent as they are)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class HostedStandIn:
    """A tiny ASGI app standing in for the hosted API: answers from a script, records calls.

    When the script runs out it answers 200 with ``{}``.
    """

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.seen: list[Seen] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append(Seen(scope["method"], scope["path"], headers, body, time.monotonic()))
        reply = self.script.pop(0) if self.script else Reply(body={})
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if isinstance(reply.body, bytes):
            payload, media = reply.body, b"text/plain"
        else:
            payload, media = json.dumps(reply.body).encode(), b"application/json"
        raw_headers = [(b"content-type", media)]
        raw_headers += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})


@dataclass
class Hosted:
    app: HostedStandIn
    base_url: str


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
