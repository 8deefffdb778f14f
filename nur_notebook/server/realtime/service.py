"""Plugging the session endpoint into the app: engine loading, the hub, lifespan.

``install(app)`` (called by ``create_app``) includes the session WebSocket routes, builds
the ``SessionHub`` on ``app.state.realtime``, registers it for REST's
``on_session_ended`` hook and wraps the app's lifespan so the engines start loading in
the background when the server starts (REST answers meanwhile) and every live session
stops when it shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI

from nur_notebook.server.config import ServerConfig
from nur_notebook.server.pipeline.registry import Engines, load_engines
from nur_notebook.server.realtime.endpoint import quiet_hostile_frames, router
from nur_notebook.server.realtime.engines import EngineHost, Loader
from nur_notebook.server.realtime.hub import SessionHub
from nur_notebook.server.realtime.profile import RuntimeOptions

log = logging.getLogger(__name__)

#: Silence after which a turn's transcript and reply start, unseen until the turn ends.
SPECULATE_MS = 200
#: Speech after which (and after each further such stretch) the brain reads the words
#: said so far (``listen-ahead``).
AHEAD_MS = 1000
#: Words a reply's first clause needs before it is spoken on its own (``first-clause``).
FIRST_CLAUSE_WORDS = 3


def engine_loader(config: ServerConfig) -> Loader | None:
    """How this server loads its engines, or None when it runs REST-only."""
    if not config.engines:
        return None
    options = config.engine_options
    if not config.feature("shared-prefix"):
        options = replace(options, llm_prefix_cells=0)
    if not config.feature("short-window"):
        options = replace(options, stt_window_s=None)
    if not config.feature("jump-forward"):
        options = replace(options, llm_jump=False)
    if not config.feature("next-turn"):
        options = replace(options, llm_warm_next_turn=False)

    def load(progress: Callable[[str], None]) -> Engines:
        return load_engines(options, progress=progress)

    return load


def runtime_options(config: ServerConfig) -> RuntimeOptions:
    """Session defaults from the server configuration."""
    return RuntimeOptions(
        silence_ms=config.vad_silence_ms,
        tool_timeout_ms=config.tool_timeout_ms,
        speculate_ms=SPECULATE_MS if config.feature("speculation") else 0,
        ahead_ms=AHEAD_MS if config.feature("listen-ahead") else 0,
        first_clause_words=FIRST_CLAUSE_WORDS if config.feature("first-clause") else None,
    )


def install(app: FastAPI) -> None:
    """Attach the realtime service to ``app`` (see the module docstring)."""
    config: ServerConfig = app.state.config
    host = EngineHost(engine_loader(config))
    hub = SessionHub(store=app.state.store, host=host, options=runtime_options(config))
    app.include_router(router)
    quiet_hostile_frames()  # a text frame that is not UTF-8 costs one log line
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
