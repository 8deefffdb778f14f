"""``%load_ext``'s connection with no account: the kernel starts the local server with its
real engines and waits for them; a second kernel reuses it. Closing (a kernel's exit)
leaves the server running while another kernel uses it, a kernel restarting within the
grace period finds the same server, and it stops by itself once no kernel has used it
for the grace period.

(The browser tests start their kernels' server once for the whole folder, so this is
where a kernel's own start is tried.)
"""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from nur_notebook.notebook.context import connect
from nur_notebook.notebook.local_server import GRACE_ENV

pytestmark = [pytest.mark.engines, pytest.mark.timeout(600)]

#: The grace period of the server the kernels start here (seconds).
GRACE = 2.0


def test_a_kernel_without_an_account_starts_the_local_server_which_outlives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUR_NOTEBOOK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NUR_API_KEY", "")
    monkeypatch.setenv(GRACE_ENV, str(GRACE))
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
        process = psutil.Process(info.pid)
        first.close()  # the kernel that started it exits: the second one still uses it
        with pytest.raises(psutil.TimeoutExpired):
            process.wait(timeout=GRACE * 2)
        assert second.server.status()["kernels"] == 1
        second.close()  # no kernel left; one restarting within the grace finds the server
        restarted: list[str] = []
        third = connect(progress=restarted.append)
        assert restarted[0] == reused[0]  # the same process, its engines loaded
        assert third.engines == first.engines
        third.close()
        assert process.wait(timeout=GRACE + 30) == 0  # unused for the grace: it stops
    finally:
        first.close()
        first.server.stop()  # only if a failure above left it running
    assert first.server.running() is None
    assert not (tmp_path / "server.json").exists()
    assert f"no kernel has used it for {GRACE:g} s" in first.server.logs()
