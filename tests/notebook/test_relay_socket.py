"""The kernel's relay socket: a real ``websockets`` client in place of the Jupyter server's
relay route, the real widget, and (with the engines) a real session behind it."""

from __future__ import annotations

import asyncio
import json
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from notebook_server import RunningServer
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from nur_notebook.client import AsyncNurClient, NurClient
from nur_notebook.notebook.audio import to_pcm16_16k
from nur_notebook.notebook.conversation import Conversation
from nur_notebook.notebook.kernel_loop import KERNEL
from nur_notebook.notebook.relay_socket import (
    AUDIO_HEADER,
    CLOSE_UNKNOWN_TOKEN,
    MIC_HEADER,
    parse_mic_frame,
)
from nur_notebook.notebook.widget import ConversationWidget
from nur_notebook.protocol.events import ResponseInterrupted

FRAME = 1024  # 32 ms of 16 kHz PCM16, as the browser sends


class RecordingWidget(ConversationWidget):
    """The widget, keeping what it sends over the comm (there is no front-end here)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.comm_sent: list[tuple[dict[str, Any], list[bytes]]] = []

    def send(self, content: Any, buffers: Any = None) -> None:
        self.comm_sent.append((content, [bytes(b) for b in buffers or []]))


def relay_url(widget: ConversationWidget, token: str | None = None) -> str:
    return f"ws://127.0.0.1:{widget.relay_port}/{token or widget.relay_token}"


def frame(i: int, *, t: float | None = None) -> bytes:
    pcm = struct.pack("<h", i) * (FRAME // 2)
    return MIC_HEADER.pack(t if t is not None else time.time() * 1000) + pcm


async def until(check: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_parse_mic_frame() -> None:
    pcm, stamp = parse_mic_frame(MIC_HEADER.pack(1234.5) + b"\x01\x00\x02\x00")
    assert pcm == b"\x01\x00\x02\x00"
    assert stamp == 1234.5
    assert parse_mic_frame(MIC_HEADER.pack(float("nan")) + b"\x00\x00")[1] is None
    for bad in (b"", b"\x00" * 7, MIC_HEADER.pack(1.0), MIC_HEADER.pack(1.0) + b"\x00"):
        with pytest.raises(ValueError, match=r"header|PCM16"):
            parse_mic_frame(bad)


async def test_frames_arrive_in_order_on_the_bridge_loop() -> None:
    w = RecordingWidget(agent={"name": "Relay"})
    got: list[tuple[int, str]] = []
    w.on_mic_audio(lambda pcm: got.append((struct.unpack_from("<h", pcm)[0], _thread())))
    assert w.relay_port > 0
    assert len(w.relay_token) >= 32
    assert w.transport == "comm"
    async with connect(relay_url(w)) as ws:
        await until(lambda: w.transport == "relay")
        for i in range(200):
            await ws.send(frame(i))
        await until(lambda: len(got) == 200)
    assert [i for i, _ in got] == list(range(200))
    assert {name for _, name in got} == {"nur-session-bridge"}  # no hop to another thread
    stats = w.link_stats()
    assert stats["frames"] == 200
    assert stats["uplink_p50_ms"] is not None
    assert w.comm_sent == []  # nothing went over the comm
    await until(lambda: w.transport == "comm")
    w.close()


def _thread() -> str:
    return threading.current_thread().name


async def test_a_wrong_token_is_refused_with_a_close_code() -> None:
    w = RecordingWidget(agent={"name": "Relay"})
    got: list[bytes] = []
    w.on_mic_audio(got.append)
    wrong = "x" * len(w.relay_token)
    for url in (relay_url(w, wrong), relay_url(w, w.relay_token[:-1]), relay_url(w, "-")):
        async with connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == CLOSE_UNKNOWN_TOKEN
    assert got == []
    assert w.transport == "comm"
    w.close()


async def test_bad_messages_are_dropped_and_the_conversation_goes_on() -> None:
    w = RecordingWidget(agent={"name": "Relay"})
    got: list[int] = []
    controls: list[str] = []
    w.on_mic_audio(lambda pcm: got.append(struct.unpack_from("<h", pcm)[0]))
    w.on_control(lambda c: controls.append(c["action"]))
    async with connect(relay_url(w)) as ws:
        await ws.send(frame(1))
        for bad in (b"", b"\x00" * 5, MIC_HEADER.pack(1.0) + b"\x00\x00\x00", MIC_HEADER.pack(2.0)):
            await ws.send(bad)
        for bad_text in ("{not json", "[1, 2]", json.dumps({"type": "audio", "t": 1})):
            await ws.send(bad_text)
        await ws.send(json.dumps({"type": "control", "action": "mic_stopped"}))
        await ws.send(frame(2))
        await until(lambda: got == [1, 2] and controls == ["mic_stopped"])
        assert w._relay is not None
        assert w._relay.bad_messages == 6
        # A message over the size limit closes that socket only; the relay server lives on.
        await ws.send(b"\x00" * (1 << 20))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    async with connect(relay_url(w)) as ws:
        await ws.send(frame(3))
        await until(lambda: got == [1, 2, 3])
    w.close()


async def _read_relay(ws: ClientConnection, n: int) -> list[bytes | str]:
    return [await asyncio.wait_for(ws.recv(), 5) for _ in range(n)]


async def test_agent_audio_takes_the_socket_while_attached_and_the_comm_otherwise() -> None:
    w = RecordingWidget(agent={"name": "Relay"})
    chunk = b"\x10\x00" * 300
    async with connect(relay_url(w)) as ws:
        await until(lambda: w.transport == "relay")
        w.push_audio(chunk, sample_rate=22050, generation=3)  # from this (another) thread
        w.flush_audio(3)
        w.push_audio(chunk, sample_rate=22050, generation=4)
        ping = w.ping()
        audio, flush, audio2, ping_msg = await _read_relay(ws, 4)
        assert isinstance(audio, bytes)
        assert AUDIO_HEADER.unpack_from(audio) == (22050, 3)
        assert audio[AUDIO_HEADER.size :] == chunk
        assert json.loads(flush) == {"type": "flush", "generation": 3}  # in order with audio
        assert isinstance(audio2, bytes)
        assert AUDIO_HEADER.unpack_from(audio2) == (22050, 4)
        sent = json.loads(ping_msg)
        assert sent["id"] == ping
        await ws.send(json.dumps({**sent, "type": "pong", "browser_t": time.time() * 1000}))
        await until(lambda: w.link_stats()["pings"] == 1)
        assert w.comm_sent == []
    await until(lambda: w.transport == "comm")
    # The socket is gone: the same calls go over the comm, with the comm's message format.
    w.push_audio(chunk, sample_rate=22050, generation=5)
    w.flush_audio(5)
    assert w.comm_sent == [
        ({"type": "audio", "sample_rate": 22050, "generation": 5}, [chunk]),
        ({"type": "flush", "generation": 5}, []),
    ]
    w.close()


async def test_a_closed_widget_closes_its_socket_and_frees_its_token() -> None:
    w = RecordingWidget(agent={"name": "Relay"})
    url = relay_url(w)
    async with connect(url) as ws:
        await until(lambda: w.transport == "relay")
        w.close()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CLOSE_UNKNOWN_TOKEN
    assert w.transport == "comm"
    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)


def test_a_widget_without_the_relay_uses_the_comm() -> None:
    w = RecordingWidget(agent={"name": "Comm only"}, relay=False)
    assert (w.relay_port, w.relay_token, w.transport) == (0, "", "comm")
    w.push_audio(b"\x00\x00", sample_rate=16000)
    assert w.comm_sent[0][0]["type"] == "audio"
    w.close()


async def test_an_interruption_flushes_in_order_with_the_agent_audio() -> None:
    """The Conversation flushes the browser's queue on the audio path itself, so the flush
    lands after the interrupted response's audio and before the next response's."""
    widget = RecordingWidget(agent={"name": "Relay"})
    nowhere = AsyncNurClient(api_key="nur_sk_x", base_url="http://127.0.0.1:9")  # no session
    conv = Conversation("ses_none", client=nowhere, agent={"name": "Relay"}, widget=widget)
    chunk = b"\x02\x00" * 100
    async with connect(relay_url(widget)) as ws:
        await until(lambda: widget.transport == "relay")
        on_loop = KERNEL.loop
        for event in (
            lambda: conv._on_audio(chunk, 24000, 7),
            lambda: conv._on_event(ResponseInterrupted(response_id="r7", turn=2, played_ms=40)),
            lambda: conv._on_audio(chunk, 24000, 8),
        ):  # as the session delivers them: on the bridge loop, in this order
            on_loop.call_soon_threadsafe(event)
        first, flush, second = await _read_relay(ws, 3)
    assert isinstance(first, bytes)
    assert AUDIO_HEADER.unpack_from(first)[1] == 7
    assert json.loads(flush) == {"type": "flush", "generation": 7}
    assert isinstance(second, bytes)
    assert AUDIO_HEADER.unpack_from(second)[1] == 8
    events = [c["event"]["type"] for c, _ in widget.comm_sent if c.get("type") == "event"]
    assert "response.interrupted" in events  # the transcript still learns it on the comm
    conv.end()
    widget.close()


# --- the whole kernel side against the real engines --------------------------------------


@pytest.mark.engines
async def test_speech_over_the_relay_is_heard_and_the_voice_comes_back(
    engines_server: RunningServer, tmp_path: Path
) -> None:
    wav = tmp_path / "q.wav"
    text = "Where is my order one two three four five?"
    speak = ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text]
    await asyncio.to_thread(subprocess.run, speak, check=True)
    silence = bytes(16000 * 2 * 2)  # 2 s after the question: the turn ends
    pcm = to_pcm16_16k(wav, sample_rate=16000) + silence
    with NurClient(api_key=engines_server.api_key, base_url=engines_server.base_url) as client:
        agent = client.agents.create(
            name="Relay test", voice_id="joe", system_prompt="Answer in one short sentence."
        )
        session = client.agents.sessions.create(agent_id=agent.id)
    widget = RecordingWidget(agent={"name": "Relay test", "version": 1})
    conv = Conversation(
        session,
        client=AsyncNurClient(api_key=engines_server.api_key, base_url=engines_server.base_url),
        agent={"name": "Relay test", "version": 1},
        widget=widget,
    )
    voice: list[tuple[int, int]] = []
    try:
        async with connect(relay_url(widget)) as ws:
            await until(lambda: widget.transport == "relay")
            for start in range(0, len(pcm), FRAME):  # twice real time, as conv.play does
                await ws.send(MIC_HEADER.pack(time.time() * 1000) + pcm[start : start + FRAME])
                await asyncio.sleep(0.016)
            deadline = time.monotonic() + 240
            while not (
                voice and any(e["role"] == "agent" and e["ended_at"] for e in conv.transcript)
            ):
                assert time.monotonic() < deadline, f"no answer; status {conv.status}"
                try:
                    message = await asyncio.wait_for(ws.recv(), 1)
                except TimeoutError:
                    continue
                if isinstance(message, bytes):
                    rate, _generation = AUDIO_HEADER.unpack_from(message)
                    voice.append((rate, len(message) - AUDIO_HEADER.size))
        heard = " ".join(e["text"] for e in conv.transcript if e["role"] == "user").lower()
        assert "order" in heard
        assert voice, "the agent's voice came back over the relay socket"
        assert all(rate > 0 and size > 0 for rate, size in voice)
        assert not [c for c, _ in widget.comm_sent if c.get("type") == "audio"]
        assert widget.frames_received == -(-len(pcm) // FRAME)
    finally:
        conv.end()
        widget.close()
