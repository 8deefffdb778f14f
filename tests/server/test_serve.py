"""``nur-notebook serve`` as a real process on a free loopback port."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from rest_support import SEED_AGENT, live_server, stop, wait_gone

from nur_notebook.server.app import _bind


def test_serve_announces_itself_and_answers_the_seed_examples(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        info = json.loads((tmp_path / "server.json").read_text())
        assert server.first_line == f"Nur server listening on {server.base_url}"
        assert info["pid"] == server.process.pid
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["started_at"])
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
            agent = http.post("/v1/agents/create", json=SEED_AGENT).json()
            session = http.post(
                f"/v1/agents/{agent['id']}/sessions",
                json={"metadata": {"user_id": "usr_456"}, "initial_message": "Hello!"},
            ).json()
            port = server.base_url.rsplit(":", 1)[1]
            expected = f"ws://127.0.0.1:{port}/v1/sessions/{session['session_id']}"
            assert session["websocket_url"] == expected
            listing = http.get("/v1/agents", params={"limit": 10, "offset": 0}).json()
            assert [a["id"] for a in listing["data"]] == [agent["id"]]
            assert http.delete(f"/v1/agents/{agent['id']}").json()["deleted"] is True
            assert http.get(f"/v1/sessions/{session['session_id']}").json()["status"] == "ended"
            assert http.get("/v1/agents").status_code == 200
            assert httpx.get(f"{server.base_url}/v1/agents", timeout=10).status_code == 401
        server.process.terminate()
        assert server.process.wait(timeout=20) == 0
        assert wait_gone(tmp_path / "server.json")


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    with live_server(tmp_path) as first:
        headers = {"Authorization": f"Bearer {first.api_key}"}
        with httpx.Client(base_url=first.base_url, headers=headers, timeout=10) as http:
            agent = http.post("/v1/agents/create", json=SEED_AGENT).json()
            session = http.post(f"/v1/agents/{agent['id']}/sessions").json()
    with live_server(tmp_path) as second:
        assert second.api_key == first.api_key
        with httpx.Client(base_url=second.base_url, headers=headers, timeout=10) as http:
            assert http.get(f"/v1/agents/{agent['id']}").json() == agent
            again = http.get(f"/v1/sessions/{session['session_id']}").json()
            assert again["created_at"] == session["created_at"]
            assert again["status"] == "active"
            assert again["websocket_url"].startswith(second.base_url.replace("http", "ws"))


def test_serve_output_on_first_start(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "nur_notebook.server", "--port", "0", "--no-engines"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(6)]
    stop(process)
    key = (tmp_path / "api_key").read_text().strip()
    text = "".join(lines)
    assert lines[0].startswith("Nur server listening on http://127.0.0.1:")
    assert key in text
    assert f"export NUR_API_KEY=$(cat {tmp_path / 'api_key'})" in text
    assert process.returncode == 0


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                *(sys.executable, "-m", "nur_notebook", "serve", "--no-engines"),
                *("--port", str(port), "--data-dir", str(tmp_path)),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert not (tmp_path / "server.json").exists()


def test_the_listening_socket_says_tcp_so_responses_are_not_delayed() -> None:
    # asyncio sets TCP_NODELAY only on accepted sockets whose protocol is IPPROTO_TCP;
    # without it, keep-alive responses wait ~40 ms for a delayed ACK.
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()
