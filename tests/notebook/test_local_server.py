"""Starting, reusing and stopping the local server as a process (real processes, loopback)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import psutil
import pytest

from nur_notebook.notebook.local_server import (
    DATA_DIR_ENV,
    DEFAULT_GRACE,
    GRACE_ENV,
    LocalServer,
    LocalServerError,
    ServerInfo,
    default_data_dir,
    default_grace,
)

REST_ONLY = ("--no-engines",)
#: The grace of the servers these tests start (seconds).
GRACE = 1.5


def test_start_reuse_status_and_stop(tmp_path: Path) -> None:
    messages: list[str] = []
    server = LocalServer(tmp_path, extra_args=REST_ONLY)
    info = server.start(progress=messages.append)
    try:
        assert server.owned
        assert info.base_url.startswith("http://127.0.0.1:")
        assert messages[0] == "Starting the local Nur server ..."
        assert messages[-1] == f"Local Nur server listening at {info.base_url}"
        key = server.api_key()
        response = httpx.get(
            info.base_url + "/v1/agents", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200

        again = LocalServer(tmp_path, extra_args=REST_ONLY)
        reused: list[str] = []
        assert again.start(progress=reused.append) == info  # same process, not a new one
        assert not again.owned
        assert reused == [f"Reusing the local Nur server at {info.base_url} (pid {info.pid})"]
        again.stop_if_owned()  # not its server: nothing happens
        assert server.running() == info

        status = server.status()
        assert status["running"] is True
        assert status["pid"] == info.pid
        assert status["status"] == "ok"  # the server's own health document
        assert status["rss_mb"] > 0
        assert "Nur server listening" in server.logs()
    finally:
        assert server.stop()
    assert not psutil.pid_exists(info.pid) or psutil.Process(info.pid).status() == "zombie"
    assert server.running() is None
    assert not (tmp_path / "server.json").exists()
    assert server.status() == {"running": False, "data_dir": str(tmp_path.resolve())}
    assert server.stop() is False


def test_a_stale_server_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(
        json.dumps({"base_url": "http://127.0.0.1:9", "pid": os.getpid(), "started_at": "x"})
    )
    server = LocalServer(tmp_path, extra_args=REST_ONLY)
    assert server.running() is None  # our own pid is alive but is not a Nur server
    info = server.start()
    try:
        assert info.pid != os.getpid()
        assert ServerInfo.read(tmp_path / "server.json") == info
    finally:
        server.stop()


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    server = LocalServer(tmp_path, extra_args=("--port", "70000"))
    with pytest.raises(LocalServerError, match=r"exited with code 2(.|\n)*0-65535"):
        server.start()
    assert server.running() is None


def test_missing_api_key_and_data_dir_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(LocalServerError, match="wrote no API key"):
        LocalServer(tmp_path).api_key()
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert default_data_dir().parts[-2:] == ("nur-notebook", "server")


def test_a_started_server_outlives_its_kernel_and_stops_after_the_last(tmp_path: Path) -> None:
    starter = LocalServer(tmp_path, extra_args=REST_ONLY, exit_when_unused=GRACE)
    starter.register()
    info = starter.start()
    process = psutil.Process(info.pid)
    try:
        assert starter.owned
        assert process.cmdline()[-3:] == ["--exit-when-unused", str(GRACE), "--no-engines"]
        other = LocalServer(tmp_path, extra_args=REST_ONLY, exit_when_unused=GRACE)
        other.register()
        assert other.start() == info
        assert other.status()["kernels"] == 2
        starter.unregister()  # the kernel that started it exits: the other one keeps it
        with pytest.raises(psutil.TimeoutExpired):
            process.wait(timeout=GRACE * 2.5)
        assert other.status()["kernels"] == 1
        other.unregister()  # now no kernel uses it; a restart within the grace finds it
        restarted = LocalServer(tmp_path, extra_args=REST_ONLY, exit_when_unused=GRACE)
        restarted.register()
        assert restarted.start() == info  # the same process, warm
        assert not restarted.owned
        restarted.unregister()
        assert process.wait(timeout=GRACE + 20) == 0
    finally:
        starter.stop()
    assert starter.running() is None
    assert not starter.owned
    assert starter.stop() is False  # it had stopped by itself
    assert not (tmp_path / "server.json").exists()
    assert f"no kernel has used it for {GRACE:g} s" in starter.logs()


def test_register_writes_one_file_per_registration_until_unregistered(tmp_path: Path) -> None:
    first, second = LocalServer(tmp_path), LocalServer(tmp_path)
    path = first.register()
    assert first.register() == path  # registering again changes nothing
    other = second.register()
    assert other != path  # two registrations of one process are told apart
    assert path.parent == tmp_path / "kernels"
    record = json.loads(path.read_text())
    assert record == {"pid": os.getpid(), "created": psutil.Process().create_time()}
    first.unregister()
    first.unregister()
    assert not path.exists()
    assert other.exists()
    second.unregister()
    assert list(path.parent.iterdir()) == []


def test_the_grace_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GRACE_ENV, raising=False)
    assert default_grace() == DEFAULT_GRACE
    monkeypatch.setenv(GRACE_ENV, " 2.5 ")
    assert default_grace() == 2.5
    for bad in ("0", "-1", "soon", "nan", "inf"):
        monkeypatch.setenv(GRACE_ENV, bad)
        with pytest.raises(LocalServerError, match=f"{GRACE_ENV} must be a number of seconds"):
            default_grace()
