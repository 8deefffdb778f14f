"""Plugging the session endpoint into the app: engine loading, the hub, lifespan.

``install(app)`` (called by ``create_app``) builds the ``SessionHub`` on
``app.state.realtime``, registers it for REST's ``on_session_ended`` hook and wraps the
app's lifespan so the engines start loading in the background when the server starts
(REST answers meanwhile) and every live session stops when it shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from nur_notebook.server.config import ServerConfig
from nur_notebook.server.realtime.engines import EngineHost, SessionEngines
from nur_notebook.server.realtime.hub import SessionHub
from nur_notebook.server.realtime.profile import RuntimeOptions

log = logging.getLogger(__name__)


def engine_loader(config: ServerConfig) -> Callable[[], SessionEngines] | None:
    """How this server loads its engines, or None when it runs REST-only."""
    if not config.engines:
        return None

    def load() -> SessionEngines:
        from nur_notebook.server.pipeline.registry import load_engines

        engines = load_engines(config)
        return SessionEngines(
            vad=engines.vad,
            stt=engines.stt,
            brain=engines.brain,
            tts_for=engines.tts_for,
        )

    return load


def runtime_options(config: ServerConfig) -> RuntimeOptions:
    """Session defaults from the server configuration."""
    return RuntimeOptions(silence_ms=config.vad_silence_ms, tool_timeout_ms=config.tool_timeout_ms)


def install(app: FastAPI, *, loader: Callable[[], SessionEngines] | str | None = "config") -> None:
    """Attach the realtime service to ``app`` (see the module docstring)."""
    config: ServerConfig = app.state.config
    chosen = engine_loader(config) if loader == "config" else loader
    host = EngineHost(chosen if callable(chosen) else None)
    hub = SessionHub(store=app.state.store, host=host, options=runtime_options(config))
    app.state.realtime = hub
    app.state.hooks.on_session_ended.append(hub.on_session_ended)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        host.start()
        async with inner(application) as state:
            try:
                yield state
            finally:
                await hub.close()
                await host.stop()

    app.router.lifespan_context = lifespan
