"""The kernel's relay loop owns its thread and the relay server on it."""

from __future__ import annotations

import asyncio
import threading

from nur_notebook.notebook.kernel_loop import KERNEL, THREAD_NAME, KernelLoop


def test_a_kernel_loop_owns_its_loop_and_relay_server() -> None:
    kernel = KernelLoop()
    loop = kernel.loop
    assert kernel.loop is loop
    assert loop is not KERNEL.loop  # each owner has its own
    assert loop.is_running()
    server = kernel.relay_server()
    assert server.loop is loop
    assert server.port > 0
    assert kernel.relay_server() is server

    async def where() -> tuple[str, bool]:
        return threading.current_thread().name, threading.current_thread().daemon

    assert asyncio.run_coroutine_threadsafe(where(), loop).result(timeout=5) == (
        THREAD_NAME,
        True,
    )
