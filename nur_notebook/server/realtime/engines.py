"""The engines one server shares among all its sessions, loaded once in the background.

REST answers while the engines load; a session that connects meanwhile is told
``session.loading`` and waits for ``ready()``. The brain is thread-safe and shared: the
local LLM batches the replies of concurrent sessions itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Literal

from nur_notebook.server.pipeline.registry import Engines

log = logging.getLogger(__name__)

HostState = Literal["loading", "ready", "failed", "disabled"]
#: ``loader(progress)``: loads the engines, calling ``progress(stage)`` before each stage.
Loader = Callable[[Callable[[str], None]], Engines]


class EngineHost:
    """Loads the engines once (in a worker thread) and hands them to sessions."""

    def __init__(self, loader: Loader | None) -> None:
        self._loader = loader
        self.state: HostState = "disabled" if loader is None else "loading"
        #: The stage being loaded (``session.loading`` reports it).
        self.stage = "engines"
        self.error: str | None = None
        self.engines: Engines | None = None
        self.load_seconds: float | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin loading in the background (call from the app's start-up)."""
        if self._loader is None:
            self._ready.set()
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._load(self._loader))

    async def _load(self, loader: Loader) -> None:
        started = time.monotonic()

        def progress(stage: str) -> None:
            self.stage = stage

        try:
            self.engines = await asyncio.to_thread(loader, progress)
            self.state = "ready"
        except Exception as exc:
            log.exception("loading the speech engines failed")
            self.state = "failed"
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.load_seconds = time.monotonic() - started
            self._ready.set()

    async def ready(self) -> Engines | None:
        """Wait for loading to finish; the engines, or None when disabled or failed."""
        await self._ready.wait()
        return self.engines

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            # A thread cannot be interrupted; wait for it so shutdown leaves no worker behind.
            await asyncio.shield(self._task)
