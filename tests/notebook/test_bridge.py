"""SessionBridge: the outbox's bounds and order, the relay loop thread, real sessions."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest
from notebook_server import RunningServer

from nur_notebook.client import AsyncNurClient, NurClient
from nur_notebook.notebook.bridge import Outbox, SessionBridge
from nur_notebook.notebook.kernel_loop import KERNEL
from nur_notebook.protocol.schema import EventBase


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
    loop = KERNEL.loop
    assert KERNEL.loop is loop
    assert loop.is_running()

    async def where() -> tuple[str, bool]:
        await asyncio.sleep(0)
        current = threading.current_thread()
        return current.name, current.daemon

    name, daemon = asyncio.run_coroutine_threadsafe(where(), loop).result(timeout=5)
    assert name == "nur-session-bridge"
    assert daemon


# --- against the real session connection and local server ----------------------------


class Collected:
    """Events and audio the bridge delivered, with the threads they arrived on."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.audio: list[tuple[int, int, int]] = []
        self.threads: set[str] = set()
        self.changed = threading.Condition()

    def on_event(self, event: Any) -> None:
        assert isinstance(event, EventBase), event  # typed events, never dicts
        data = event.to_dict()
        with self.changed:
            self.events.append(data)
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def on_audio(self, pcm: bytes, sample_rate: int, generation: int) -> None:
        with self.changed:
            self.audio.append((len(pcm), sample_rate, generation))
            self.changed.notify_all()

    def wait_for(self, kind: str, timeout: float) -> dict[str, Any]:
        with self.changed:
            found = self.changed.wait_for(
                lambda: any(e.get("type") == kind for e in self.events), timeout
            )
            assert found, f"no {kind} event in {timeout} s; got {[e['type'] for e in self.events]}"
            return next(e for e in self.events if e.get("type") == kind)


def _session(server: RunningServer, **agent: Any) -> Any:
    with NurClient(api_key=server.api_key, base_url=server.base_url) as client:
        made = client.agents.create(
            name="Bridge test",
            voice_id="joe",
            system_prompt=agent.pop("system_prompt", "You are a terse assistant."),
            **agent,
        )
        return client.agents.sessions.create(agent_id=made.id)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_reported_as_an_error_event() -> None:
    got = Collected()
    client = AsyncNurClient(api_key="nur_sk_x", base_url=f"http://127.0.0.1:{_free_port()}")
    bridge = SessionBridge(
        client, "ses_nowhere", tools={}, on_event=got.on_event, on_audio=got.on_audio
    )
    bridge.send_audio(b"\x00\x00" * 512)  # queued while connecting: must not raise
    error = got.wait_for("error", timeout=30)
    assert error["code"] == "server_unreachable"
    assert error["fatal"] is True
    assert bridge.wait_closed(10)
    assert got.threads == {"nur-session-bridge"}
    bridge.send_text("after the end")  # ignored, never raises
    bridge.close()


def test_a_refused_session_is_reported_and_the_loop_lives_on(nur_server: RunningServer) -> None:
    session = _session(nur_server)
    got = Collected()
    client = AsyncNurClient(api_key=nur_server.api_key, base_url=nur_server.base_url)
    bridge = SessionBridge(client, session, tools={}, on_event=got.on_event, on_audio=got.on_audio)
    error = got.wait_for("error", timeout=30)
    assert error["code"] == "session_closed"
    assert "1011" in error["message"]  # a server started without engines says so
    assert bridge.wait_closed(10)
    # The relay loop is shared by every conversation of the kernel: still serving.
    assert KERNEL.loop.is_running()


@pytest.mark.engines
def test_a_typed_turn_from_another_thread_is_answered(engines_server: RunningServer) -> None:
    session = _session(engines_server, system_prompt="Answer in one short sentence.")
    got = Collected()
    client = AsyncNurClient(api_key=engines_server.api_key, base_url=engines_server.base_url)
    bridge = SessionBridge(client, session, tools={}, on_event=got.on_event, on_audio=got.on_audio)
    try:
        got.wait_for("session.created", timeout=180)
        sender = threading.Thread(target=bridge.send_text, args=("Say hello.",), name="comm")
        sender.start()
        sender.join()
        final = got.wait_for("transcript.agent.final", timeout=180)
        assert final["text"].strip()
        got.wait_for("response.done", timeout=120)
        assert got.audio, "agent audio reached on_audio"
        assert all(rate > 0 and size > 0 for size, rate, _ in got.audio)
    finally:
        bridge.close(wait=10)
    assert bridge.closed
