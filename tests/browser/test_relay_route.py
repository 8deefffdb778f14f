"""The Jupyter server's relay route, driven by a ``websockets`` client (no browser): its
authentication and origin check, and the pump to a kernel relay socket (served here by a real
widget's relay endpoint in this process)."""

from __future__ import annotations

import asyncio
import json
import shutil
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browser_harness import JupyterServer, free_port
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from nur_notebook.notebook.relay_socket import AUDIO_HEADER, CLOSE_UNKNOWN_TOKEN, MIC_HEADER
from nur_notebook.notebook.widget import ConversationWidget


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    if shutil.which("jupyter") is None:
        pytest.skip("jupyter is not installed")
    server = JupyterServer("lab", tmp_path_factory.mktemp("relay-route"))
    try:
        yield server
    finally:
        server.stop()


class QuietWidget(ConversationWidget):
    """The widget with its comm sends kept (there is no front-end here)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.comm_sent: list[Any] = []

    def send(self, content: Any, buffers: Any = None) -> None:
        self.comm_sent.append(content)


def route(jupyter: JupyterServer, port: int, token: str, *, auth: bool = True) -> str:
    url = f"ws://127.0.0.1:{jupyter.port}/nur-notebook/relay/{port}/{token}"
    return f"{url}?token={jupyter.token}" if auth else url


async def until(check: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_frames_and_agent_audio_are_pumped_both_ways(jupyter: JupyterServer) -> None:
    w = QuietWidget(agent={"name": "Route"})
    got: list[int] = []
    w.on_mic_audio(lambda pcm: got.append(struct.unpack_from("<h", pcm)[0]))
    async with connect(route(jupyter, w.relay_port, w.relay_token)) as ws:
        await until(lambda: w.transport == "relay")
        for i in range(100):
            await ws.send(MIC_HEADER.pack(time.time() * 1000) + struct.pack("<h", i) * 512)
        await until(lambda: len(got) == 100)
        assert got == list(range(100))
        w.push_audio(b"\x01\x00" * 100, sample_rate=24000, generation=2)
        w.ping()
        audio = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(audio, bytes)  # binary stays binary
        assert AUDIO_HEADER.unpack_from(audio) == (24000, 2)
        assert len(audio) == AUDIO_HEADER.size + 200
        ping = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(ping, str)  # text stays text
        assert json.loads(ping)["type"] == "ping"
    # The browser side closed: the route closes the kernel side too.
    await until(lambda: w.transport == "comm")
    assert w.comm_sent == []
    w.close()


async def test_a_closed_kernel_side_closes_the_browser_side_with_its_code(
    jupyter: JupyterServer,
) -> None:
    w = QuietWidget(agent={"name": "Route"})
    async with connect(route(jupyter, w.relay_port, "z" * len(w.relay_token))) as ws:
        with pytest.raises(ConnectionClosed) as wrong:
            await asyncio.wait_for(ws.recv(), 10)
    assert wrong.value.rcvd is not None
    assert wrong.value.rcvd.code == CLOSE_UNKNOWN_TOKEN
    async with connect(route(jupyter, w.relay_port, w.relay_token)) as ws:
        await until(lambda: w.transport == "relay")
        w.close()  # the widget goes away: its socket closes, then the browser's
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_UNKNOWN_TOKEN


async def test_nothing_listening_closes_with_unreachable(jupyter: JupyterServer) -> None:
    async with connect(route(jupyter, free_port(), "abc")) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4502


def login_cookie(jupyter: JupyterServer) -> str:
    """The session cookie a browser gets when it opens Jupyter with the token once."""
    response = httpx.get(f"{jupyter.url}/lab?token={jupyter.token}", follow_redirects=True)
    response.raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


async def test_no_credentials_or_another_origin_is_refused(jupyter: JupyterServer) -> None:
    w = QuietWidget(agent={"name": "Route"})
    got: list[bytes] = []
    w.on_mic_audio(got.append)
    with pytest.raises(InvalidStatus) as anonymous:
        async with connect(route(jupyter, w.relay_port, w.relay_token, auth=False)):
            pass
    assert anonymous.value.response.status_code == 403
    # A browser's cookie from another site's page: the origin check refuses it (a token in
    # the URL is not something another site has, so Jupyter skips the check then).
    cookie = {"Cookie": login_cookie(jupyter)}
    url = route(jupyter, w.relay_port, w.relay_token, auth=False)
    with pytest.raises(InvalidStatus) as cross:
        async with connect(url, additional_headers=cookie, origin=Origin("http://elsewhere.test")):
            pass
    assert cross.value.response.status_code == 403
    same = Origin(f"http://127.0.0.1:{jupyter.port}")
    async with connect(url, additional_headers=cookie, origin=same):
        await until(lambda: w.transport == "relay")
    with pytest.raises(InvalidStatus) as bad_port:
        async with connect(route(jupyter, 70000, w.relay_token)):
            pass
    assert bad_port.value.response.status_code == 400
    assert got == []
    w.close()
