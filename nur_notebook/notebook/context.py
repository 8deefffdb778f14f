"""Where this kernel's Nur API is: the hosted API, or a local server it started or found.

``%load_ext nur_notebook`` calls :func:`connect` once per kernel:

- ``NUR_API_KEY`` set: the hosted API at ``NUR_BASE_URL`` (or the client's default).
- otherwise: the local server (see :mod:`local_server`), started in the background or
  reused when it already runs. The kernel registers as using it until it closes (at exit);
  the server outlives the kernel that started it and stops itself once no registered
  kernel has been alive for ``NUR_NOTEBOOK_SERVER_GRACE`` seconds (default 300), so a
  restarted kernel or another notebook finds it running, its engines and prompts warm.

The result, :class:`NurContext`, holds the REST client, the session client and the
per-kernel bookkeeping of ``%%nur_agent`` (agent versions, live conversations).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from nur_notebook.notebook.health import Health, fetch_health
from nur_notebook.notebook.kernel_loop import KERNEL, KernelLoop
from nur_notebook.notebook.local_server import PROBE_TIMEOUT, LocalServer, default_grace

if TYPE_CHECKING:
    from nur_notebook.client import AsyncNurClient, NurClient
    from nur_notebook.notebook.conversation import Conversation

API_KEY_ENV = "NUR_API_KEY"
BASE_URL_ENV = "NUR_BASE_URL"
#: How long ``connect`` waits for the local engines to finish loading (seconds).
ENGINE_WAIT_TIMEOUT = 300.0


@dataclass
class NurContext:
    """The kernel's connection to a Nur API and what ``%%nur_agent`` made with it."""

    mode: Literal["hosted", "local"]
    base_url: str
    api_key: str
    server: LocalServer | None = None
    engines: dict[str, str] = field(default_factory=dict)
    #: Why the engines are not usable ("" when they are, or when the server does not say).
    engine_problem: str = ""
    #: Versions made per agent NAME in this kernel (re-running a cell adds one).
    versions: dict[str, int] = field(default_factory=dict)
    #: Each version made per agent NAME: version, agent_id and the agent's fields (evals
    #: run them side by side).
    agent_versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: The live conversation of each agent NAME (a new version supersedes it).
    conversations: dict[str, Conversation] = field(default_factory=dict)
    #: The loop the kernel's session connections and relay socket run on.
    kernel: KernelLoop = KERNEL
    _client: NurClient | None = None
    _async_client: AsyncNurClient | None = None

    @property
    def client(self) -> NurClient:
        """The blocking REST client (``NurClient``)."""
        if self._client is None:
            from nur_notebook.client import NurClient

            self._client = NurClient(api_key=self.api_key, base_url=self.base_url)
        return self._client

    @property
    def async_client(self) -> AsyncNurClient:
        """The asyncio client whose ``agents.sessions.connect`` the session bridge uses."""
        if self._async_client is None:
            from nur_notebook.client import AsyncNurClient

            self._async_client = AsyncNurClient(api_key=self.api_key, base_url=self.base_url)
        return self._async_client

    def next_version(self, name: str) -> int:
        """The version number the next ``%%nur_agent NAME`` run creates."""
        return self.versions.get(name, 0) + 1

    def summary(self) -> str:
        """One line: where this kernel is connected, and with which engines."""
        if self.mode == "hosted":
            return f"nur_notebook: connected to the Nur API at {self.base_url}"
        engines = ", ".join(f"{stage}: {name}" for stage, name in self.engines.items())
        where = f"nur_notebook: connected to the local Nur server at {self.base_url}"
        if self.engine_problem:
            return f"{where} ({self.engine_problem})"
        return f"{where} ({engines})" if engines else where

    def close(self) -> None:
        """End live conversations, close the REST client, and unregister from the local
        server (which keeps running for other kernels, or for the grace period)."""
        for conversation in list(self.conversations.values()):
            with contextlib.suppress(Exception):  # best effort while the kernel exits
                conversation.end()
        self.conversations.clear()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.server is not None:
            self.server.unregister()


def connect(*, progress: Callable[[str], None] | None = None) -> NurContext:
    """Connect as the environment says (see the module docstring)."""
    report = progress or (lambda _message: None)
    api_key = os.environ.get(API_KEY_ENV, "").strip()
    if api_key:
        base_url = os.environ.get(BASE_URL_ENV, "").strip().rstrip("/")
        if not base_url:
            from nur_notebook.client import NurClient

            base_url = str(NurClient(api_key=api_key).base_url).rstrip("/")
        context = NurContext(mode="hosted", base_url=base_url, api_key=api_key)
        context.engines = Health.parse(fetch_health(base_url, timeout=PROBE_TIMEOUT)).names
        return context
    server = LocalServer(exit_when_unused=default_grace())
    server.register()  # before looking for it: a server about to stop sees this kernel
    atexit.register(server.unregister)
    try:
        info = server.start(progress=report)
    except BaseException:
        server.unregister()
        raise
    context = NurContext(
        mode="local", base_url=info.base_url, api_key=server.api_key(), server=server
    )
    status = wait_for_engines(context, progress=report)
    context.engines = status.names
    context.engine_problem = status.problem
    return context


def wait_for_engines(
    context: NurContext, *, progress: Callable[[str], None], timeout: float = ENGINE_WAIT_TIMEOUT
) -> Health:
    """Poll the server's ``/health`` while its engines load, reporting progress; returns
    what it said last. A server that reports no engine state is taken as ready."""
    started = time.monotonic()
    while True:
        status = Health.parse(fetch_health(context.base_url, timeout=PROBE_TIMEOUT))
        if status.state != "loading":
            return status
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            return status
        progress(f"Loading the speech and language engines ... {elapsed:.0f} s")
        time.sleep(1.0)
