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
from dataclasses import replace
from typing import Any

from fastapi import FastAPI

from nur_notebook.server.config import ServerConfig
from nur_notebook.server.pipeline.base import TTS
from nur_notebook.server.realtime.engines import EngineHost, Loader, SessionEngines
from nur_notebook.server.realtime.hub import SessionHub
from nur_notebook.server.realtime.profile import RuntimeOptions

log = logging.getLogger(__name__)


def engine_loader(config: ServerConfig) -> Loader | None:
    """How this server loads its engines, or None when it runs REST-only."""
    if not config.engines:
        return None

    def load(progress: Callable[[str], None]) -> SessionEngines:
        from nur_notebook.server.pipeline.registry import EngineOptions, load_engines

        options = EngineOptions(brain_url=config.brain_url)
        if config.brain_model:
            options = replace(options, brain_model=config.brain_model)
        if config.llm_threads:
            options = replace(options, llm_threads=config.llm_threads)
        if config.llm_slots:
            options = replace(options, llm_slots=config.llm_slots)
        if config.llm_prefix_cells is not None:
            options = replace(options, llm_prefix_cells=config.llm_prefix_cells)
        if not config.feature("shared-prefix"):
            options = replace(options, llm_prefix_cells=0)
        engines = load_engines(options, progress=progress)
        tts = engines.tts
        route = getattr(tts, "engine_for", None)  # the router picks an engine per voice

        def tts_for(voice_id: str, language: str) -> TTS:
            return route(voice_id, language) if callable(route) else tts

        return SessionEngines(
            vad=engines.new_vad(), stt=engines.stt, brain=engines.brain, tts_for=tts_for
        )

    return load


def runtime_options(config: ServerConfig) -> RuntimeOptions:
    """Session defaults from the server configuration."""
    return RuntimeOptions(silence_ms=config.vad_silence_ms, tool_timeout_ms=config.tool_timeout_ms)


def install(app: FastAPI, *, loader: Loader | str | None = "config") -> None:
    """Attach the realtime service to ``app`` (see the module docstring)."""
    config: ServerConfig = app.state.config
    chosen = engine_loader(config) if loader == "config" else loader
    host = EngineHost(chosen if callable(chosen) else None)
    hub = SessionHub(store=app.state.store, host=host, options=runtime_options(config))
    app.state.realtime = hub
    app.state.hooks.on_session_ended.append(hub.on_session_ended)
    app.state.hooks.on_session_created.append(hub.on_session_created)
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
