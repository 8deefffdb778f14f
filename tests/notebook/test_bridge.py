"""SessionBridge: the outbox's bounds and order, the kernel's relay loop thread."""

from __future__ import annotations

import asyncio
import threading

from nur_notebook.notebook.bridge import Outbox, bridge_loop


def drain(box: Outbox) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    while box:
        out.append(box.get())
    return out


def test_outbox_keeps_order() -> None:
    box = Outbox(max_audio=10)
    box.put(("audio", b"a"))
    box.put(("text", "hi"))
    box.put(("audio", b"b"))
    box.put(("commit", None))
    assert drain(box) == [("audio", b"a"), ("text", "hi"), ("audio", b"b"), ("commit", None)]
    assert box.dropped == 0


def test_outbox_drops_oldest_audio_never_commands() -> None:
    box = Outbox(max_audio=2)
    box.put(("text", "first"))
    for i in range(5):
        box.put(("audio", bytes([i])))
    box.put(("close", None))
    assert box.dropped == 3
    assert drain(box) == [
        ("text", "first"),
        ("audio", b"\x03"),
        ("audio", b"\x04"),
        ("close", None),
    ]
    # The count of queued frames is right after draining: two more fit without a drop.
    box.put(("audio", b"x"))
    box.put(("audio", b"y"))
    assert box.dropped == 3


def test_one_loop_per_kernel_in_a_daemon_thread() -> None:
    loop = bridge_loop()
    assert bridge_loop() is loop
    assert loop.is_running()

    async def where() -> tuple[str, bool]:
        await asyncio.sleep(0)
        current = threading.current_thread()
        return current.name, current.daemon

    name, daemon = asyncio.run_coroutine_threadsafe(where(), loop).result(timeout=5)
    assert name == "nur-session-bridge"
    assert daemon
