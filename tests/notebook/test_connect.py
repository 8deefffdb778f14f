"""``%load_ext``'s connection with no account: the kernel starts the local server with its
real engines, waits for them, and stops the server when it exits; a second kernel reuses
it and leaves it running.

(The browser tests start their kernels' server once for the whole folder, so this is
where a kernel's own start is tried.)
"""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from nur_notebook.notebook.context import connect

pytestmark = [pytest.mark.engines, pytest.mark.timeout(600)]


def test_a_kernel_without_an_account_starts_the_local_server_and_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUR_NOTEBOOK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NUR_API_KEY", "")
    seen: list[str] = []
    first = connect(progress=seen.append)
    try:
        assert first.mode == "local"
        assert first.server is not None
        assert first.server.owned
        assert seen[0] == "Starting the local Nur server ..."
        assert set(first.engines) == {"vad", "stt", "brain", "tts"}
        assert "connected to the local Nur server" in first.summary()
        assert first.client.agents.list().data == []  # the bootstrap key works
        info = first.server.running()
        assert info is not None
        assert info.base_url == first.base_url

        reused: list[str] = []
        second = connect(progress=reused.append)
        assert second.base_url == first.base_url
        assert second.api_key == first.api_key
        assert second.server is not None
        assert not second.server.owned
        assert reused[0] == f"Reusing the local Nur server at {info.base_url} (pid {info.pid})"
        second.close()  # a kernel that only found the server leaves it running
        assert first.server.running() is not None
    finally:
        first.close()
    assert not psutil.pid_exists(info.pid) or psutil.Process(info.pid).status() == "zombie"
    assert first.server.running() is None
    assert not (tmp_path / "server.json").exists()
