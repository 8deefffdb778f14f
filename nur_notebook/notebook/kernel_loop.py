"""The kernel's relay loop: one asyncio loop in a daemon thread, and the relay server on it.

Every conversation's session connection (``bridge.py``) and the widget's relay WebSocket
server (``relay_socket.py``) run on this one loop, so a microphone frame goes from the
browser's socket to the session socket without a thread hop. :class:`KernelLoop` owns both
and starts each on first use; :data:`KERNEL` is the kernel's own.

    >>> loop = KERNEL.loop                   # started now, in thread "nur-session-bridge"
    >>> port = KERNEL.relay_server().port    # listening on 127.0.0.1  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

from nur_notebook.notebook.relay_socket import RelayServer

#: Name of the loop's thread (shown in stack dumps and by ``threading.enumerate``).
THREAD_NAME = "nur-session-bridge"


class KernelLoop:
    """An asyncio loop in a daemon thread, and the relay server on it; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._relay: RelayServer | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started on first use (and again if it was closed)."""
        with self._lock:
            return self._running_loop()

    def relay_server(self, *, timeout: float = 10.0) -> RelayServer:
        """The relay server on this loop, listening (started on first use)."""
        with self._lock:
            loop = self._running_loop()
            if self._relay is None or self._relay.loop is not loop:
                server = RelayServer(loop)
                future: concurrent.futures.Future[int] = asyncio.run_coroutine_threadsafe(
                    server.start(), loop
                )
                future.result(timeout)
                self._relay = server
            return self._relay

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name=THREAD_NAME, daemon=True).start()
            ready.wait()
            self._loop = loop
        return self._loop


#: The kernel's loop: what conversations and widgets use unless given another.
KERNEL = KernelLoop()
