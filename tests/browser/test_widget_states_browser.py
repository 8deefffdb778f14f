"""The widget where things go wrong or come back: a denied microphone, a page that is not a
secure context, a saved notebook reopened (JupyterLab 4 and Notebook 7, headless Chromium)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from browser_harness import (
    CHROMIUM,
    JupyterServer,
    chromium_args,
    kernel_eval,
    kernel_json,
    open_notebook,
    run_all,
    wait_kernel,
    write_notebook,
)
from browser_shots import shot
from widget_echo import ECHO, open_echo

pytestmark = pytest.mark.browser


def test_microphone_denied_is_explained(playwright_sync: Any, jupyter: JupyterServer) -> None:

    browser = playwright_sync.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=chromium_args(None, fake_ui=False)
    )
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        open_echo(page, jupyter)
        page.get_by_role("button", name="Start microphone").click()
        page.wait_for_function(
            "() => (document.querySelector('.nur-notice').dataset.code || '').startsWith('mic_')",
            timeout=15_000,
        )
        text = page.get_by_role("alert").inner_text()
        assert "denied" in text
        assert "type a turn" in text.lower()
        action = wait_kernel(
            page,
            "[c['action'] for c in controls if c['action'].startswith('mic')]",
            timeout=10,
            what="mic_denied",
        )
        assert action == ["mic_denied"]
        shot(page, f"mic-denied-{jupyter.flavour}")
    finally:
        browser.close()


def test_no_microphone_api_on_a_plain_http_host(
    playwright_sync: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Jupyter reached by a name other than localhost over http: the page is not a secure
    context, the browser hides getUserMedia and AudioWorklet, and the widget says why."""

    host = "notebooks.nur.test"  # resolved to 127.0.0.1 by the browser itself
    server = JupyterServer(
        "lab",
        tmp_path_factory.mktemp("insecure"),
        extra_args=(f"--ServerApp.local_hostnames=['localhost','{host}']",),
    )
    browser = playwright_sync.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*chromium_args(None), f"--host-resolver-rules=MAP {host} 127.0.0.1"],
    )
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page_errors: list[str] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        write_notebook(server.root / "echo.ipynb", [ECHO])
        open_notebook(page, server, "echo.ipynb", host=host)
        assert page.evaluate("() => window.isSecureContext") is False
        run_all(page)
        page.locator(".nur-conv").wait_for(timeout=30_000)
        notice = page.get_by_role("alert")
        assert "not a secure context" in notice.inner_text()
        page.get_by_role("button", name="Start microphone").click()
        actions = wait_kernel(
            page,
            "[c['action'] for c in controls if c['action'].startswith('mic')]",
            timeout=10,
            what="mic_unavailable",
        )
        assert actions == ["mic_unavailable"]
        # Typing still works there.
        page.get_by_role("textbox", name="Type a turn").fill("typed instead")
        page.get_by_role("textbox", name="Type a turn").press("Enter")
        wait_kernel(page, "texts == ['typed instead']", timeout=10, what="the typed turn")
        # No AudioWorklet here either: the agent's voice plays through buffer sources.
        page.wait_for_function(
            "() => Number(document.querySelector('.nur-conv').dataset.playedMs) >= 700",
            timeout=15_000,
        )
        assert not page_errors
        shot(page, "no-mic-api-insecure-lab")
    finally:
        browser.close()
        server.stop()


def test_a_saved_notebook_shows_its_transcript_when_reopened(
    page: Any, jupyter: JupyterServer
) -> None:
    # Widget state is saved with the notebook when the widget manager's setting asks for it.
    settings = "lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin"
    body = json.dumps({"raw": json.dumps({"saveState": True})}).encode()
    request = urllib.request.Request(
        f"{jupyter.url}/{settings}?token={jupyter.token}", data=body, method="PUT"
    )
    request.add_header("Content-Type", "application/json")
    urllib.request.urlopen(request, timeout=10).close()

    open_echo(page, jupyter)
    kernel_eval(
        page,
        'w.transcript = [{"role": "user", "text": "saved question", "turn": 1},'
        ' {"role": "agent", "text": "saved answer", "turn": 1, "agent_version": 2}]\n'
        'w.tool_calls = [{"call_id": "c1", "name": "lookup_order", "arguments":'
        ' {"order_id": "12345"}, "output": {"status": "shipped"}, "is_error": False,'
        ' "duration_ms": 2.0}]\n'
        'w.status = "ended"',
    )
    page.locator('.nur-line[data-role="agent"]').wait_for(timeout=10_000)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    saved_path = jupyter.root / "echo.ipynb"
    deadline = time.monotonic() + 20
    while "saved answer" not in saved_path.read_text():
        assert time.monotonic() < deadline, "the widget state was not saved"
        time.sleep(0.3)

    # A fresh browser page on the saved file, its kernel restarted: nothing runs, and the
    # transcript is still there.
    page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()"
    )
    page.reload()
    widget = page.locator(".nur-conv")
    widget.wait_for(timeout=60_000)
    agent = widget.locator('.nur-line[data-role="agent"]')
    agent.wait_for(timeout=30_000)
    assert "saved answer" in agent.inner_text()
    assert widget.locator('.nur-tool[data-name="lookup_order"]').count() == 1
    assert widget.get_attribute("data-status") == "ended"
    assert page.get_by_role("button", name="Start microphone").is_disabled()
    shot(page, f"reopened-{jupyter.flavour}")


def test_a_file_the_browser_cannot_decode(page: Any, jupyter: JupyterServer) -> None:
    open_echo(page, jupyter)
    picker = page.get_by_label("Send a WAV file as speech")
    # Small: handed to the kernel as is (the Conversation reads PCM WAV itself).
    odd = b"RIFF\x00\x00\x00\x00not really audio"
    picker.set_input_files(files=[{"name": "odd.wav", "mimeType": "audio/wav", "buffer": odd}])
    sizes = wait_kernel(page, "[len(x) for x in wavs]", timeout=15, what="the raw file")
    assert sizes == [len(odd)]
    # Too big for one kernel message: refused in the browser with a message, nothing sent.
    big = b"\x01" * (9 * 1024 * 1024)
    picker.set_input_files(files=[{"name": "big.bin", "mimeType": "audio/wav", "buffer": big}])
    page.wait_for_function(
        "() => document.querySelector('.nur-notice').dataset.code === 'file_unreadable'",
        timeout=15_000,
    )
    assert "too large" in page.get_by_role("alert").inner_text()
    assert kernel_json(page, "len(wavs)") == 1
