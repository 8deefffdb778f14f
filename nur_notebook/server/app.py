"""The local Nur server: ``create_app`` builds the ASGI app, ``serve`` runs it.

Example::

    from pathlib import Path

    from nur_notebook.server.app import create_app, serve
    from nur_notebook.server.config import ServerConfig

    serve(ServerConfig(data_dir=Path("/tmp/nur"), port=0))

``app.state`` carries ``config`` (``ServerConfig``), ``store`` (``Store``), ``hooks``
(``ServerHooks``) and ``bootstrap_key`` (the key in ``<data_dir>/api_key``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

import uvicorn
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from nur_notebook import __version__
from nur_notebook.server.auth import BootstrapKey, ensure_api_key
from nur_notebook.server.config import ServerConfig
from nur_notebook.server.errors import RequestContextMiddleware, install_error_handlers
from nur_notebook.server.ids import iso_utc
from nur_notebook.server.kernels import exit_when_unused
from nur_notebook.server.realtime.service import install as install_realtime
from nur_notebook.server.routes import ROUTERS
from nur_notebook.server.routes.common import ServerHooks
from nur_notebook.server.store import Store


def create_app(config: ServerConfig) -> FastAPI:
    """Build the server's ASGI app on the store in ``config.data_dir``."""
    store = Store(config.files.database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="Nur API (local server)",
        version=__version__,
        description="The Nur voice agent API, served locally by nur-notebook.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.store = store
    app.state.hooks = ServerHooks()
    app.state.bootstrap_key = (
        ensure_api_key(store, config.files.api_key) if config.bootstrap_api_key else None
    )
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=config.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    install_realtime(app)  # the session WebSocket, its engines and live sessions
    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
    """Make ``/openapi.json`` say what the server does: validation errors are 400s."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def serve(config: ServerConfig, *, out: TextIO = sys.stdout) -> None:
    """Run the server until SIGINT/SIGTERM (or, with ``config.exit_when_unused``, until no
    kernel has used it for that long); ``config.port == 0`` picks a free port.

    Once listening it writes ``<data_dir>/server.json`` (``base_url``, ``pid``,
    ``started_at``) and prints ``Nur server listening on <base_url>``.
    """
    app = create_app(config)
    sock = _bind(config.host, config.port)
    base_url = _base_url(config.host, sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="auto")
    )

    # uvicorn re-raises SIGINT/SIGTERM after shutting down, which would kill the process
    # before server.json is removed: handle the signals here instead.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, _request_exit, server)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        # uvicorn offers no "started" event to wait on; poll its flag briefly.
        for _ in range(6000):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        watcher: asyncio.Task[None] | None = None
        if server.started:
            _announce(config, base_url, app.state.bootstrap_key, out)
            if config.exit_when_unused is not None:
                watcher = asyncio.create_task(
                    exit_when_unused(
                        config.files.kernels,
                        grace=config.exit_when_unused,
                        request_exit=lambda: _request_exit(server),
                        log=lambda line: print(line, file=out, flush=True),
                    )
                )
        await task
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    try:
        # uvloop when installed (uvicorn's choice), else the default asyncio loop.
        get_loop_factory = getattr(server.config, "get_loop_factory", None)
        loop_factory = get_loop_factory() if get_loop_factory is not None else None
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(run())
    finally:
        sock.close()
        _forget_server_info(config)


def _request_exit(server: uvicorn.Server) -> None:
    # A second signal forces the exit without waiting for open connections.
    if server.should_exit:
        server.force_exit = True
    server.should_exit = True


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # protocol says TCP, and without it keep-alive responses stall ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _base_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _announce(config: ServerConfig, base_url: str, key: BootstrapKey | None, out: TextIO) -> None:
    started_at = iso_utc(time.time())
    info: dict[str, Any] = {"base_url": base_url, "pid": os.getpid(), "started_at": started_at}
    tmp = config.files.server_info.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info) + "\n", encoding="utf-8")
    tmp.replace(config.files.server_info)
    print(f"Nur server listening on {base_url}", file=out, flush=True)
    if key is None:
        return
    if key.created:
        print(f"Created an API key (saved to {key.path}):\n  {key.secret}", file=out)
    else:
        print(f"API key: in {key.path}", file=out)
    print(
        "Use it from a shell:\n"
        f"  export NUR_API_KEY=$(cat {key.path}) NUR_BASE_URL={base_url}\n"
        f'  curl -H "Authorization: Bearer $NUR_API_KEY" $NUR_BASE_URL/v1/agents',
        file=out,
        flush=True,
    )


def _forget_server_info(config: ServerConfig) -> None:
    path = config.files.server_info
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass
