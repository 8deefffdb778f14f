"""The conversation widget in JupyterLab 4 and Notebook 7, wired to a Python echo in the kernel.

No session here: the kernel side answers typed turns itself and records microphone frames, so
these tests check the widget and the comm path alone (the full flow is in test_conversation).
"""

from __future__ import annotations

import json
import math
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

import pytest
from browser_harness import (
    JupyterServer,
    kernel_eval,
    kernel_json,
    open_notebook,
    run_all,
    wait_kernel,
    write_notebook,
)
from conftest import shot

pytestmark = pytest.mark.browser

ECHO = """\
import math, struct
from nur_notebook.notebook.widget import ConversationWidget

w = ConversationWidget(
    agent={"name": "Echo", "version": 2, "voice_id": "joe", "language": "en"}, status="listening"
)
frames, texts, controls = [], [], []
w.on_mic_audio(frames.append)
w.on_control(controls.append)

def tone(seconds=0.8, rate=22050, hz=330.0):
    n = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(n)
    )

def answer(text):
    texts.append(text)
    turn = len(texts)
    w.push_event({"type": "transcript.user.final", "turn": turn, "text": text})
    w.push_event({"type": "response.started", "turn": turn, "generation": turn, "response_id": "r"})
    w.push_audio(tone(), sample_rate=22050, generation=turn)
    w.push_event({"type": "transcript.agent.final", "turn": turn, "response_id": "r",
                  "text": "You said: " + text})
    w.push_event({"type": "response.done", "turn": turn, "response_id": "r", "status": "completed"})

w.on_text(answer)

def envelope():
    out = []
    for f in frames:
        s = struct.unpack("<%dh" % (len(f) // 2), f)
        out.append(math.sqrt(sum(x * x for x in s) / len(s)) / 32768)
    return out

w
"""

TIMELINE = """\
w.push_event({"type": "tool.call", "call_id": "call_1", "name": "lookup_order",
              "arguments": {"order_id": "12345"}, "response_id": "r", "turn": 1})
w.push_event({"type": "tool.call.completed", "call_id": "call_1", "name": "lookup_order",
              "output": {"order_id": "12345", "status": "shipped"}, "is_error": False,
              "duration_ms": 2.4})
w.push_event({"type": "tool.call", "call_id": "call_2", "name": "refund",
              "arguments": {"order_id": "12345"}, "response_id": "r", "turn": 1})
w.push_event({"type": "tool.call.completed", "call_id": "call_2", "name": "refund",
              "output": "PermissionError: refunds need a human", "is_error": True,
              "duration_ms": 0.8})
w.push_event({"type": "metrics.turn", "turn": 1, "voice_to_voice_ms": 1840, "stt_ms": 420,
              "llm_first_token_ms": 610, "tool_ms": 3, "tts_first_audio_ms": 180})
w.push_event({"type": "transcript.agent.delta", "turn": 2, "response_id": "r2",
              "text": "Your order 12345 has"})
"""


def source_envelope(path: Path, frame_s: float = 0.032) -> list[float]:
    with wave.open(str(path)) as f:
        rate = f.getframerate()
        raw = f.readframes(f.getnframes())
    samples = [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]
    step = int(rate * frame_s)
    out = []
    for i in range(0, len(samples) - step + 1, step):
        chunk = samples[i : i + step]
        out.append(math.sqrt(sum(x * x for x in chunk) / len(chunk)) / 32768)
    return out


def pooled(x: list[float], k: int = 3) -> list[float]:
    """Mean of every ``k`` values: ~100 ms envelope steps forgive sub-frame misalignment."""
    return [sum(x[i : i + k]) / k for i in range(0, len(x) - k + 1, k)]


def best_correlation(a: list[float], b: list[float]) -> float:
    """Highest Pearson r of ``a`` against ``b`` shifted by any lag (b is the longer one)."""
    best = -1.0
    n = len(a)
    for lag in range(0, max(1, len(b) - n + 1)):
        seg = b[lag : lag + n]
        if len(seg) < n:
            break
        ma, mb = sum(a) / n, sum(seg) / n
        cov = sum((x - ma) * (y - mb) for x, y in zip(a, seg, strict=True))
        va = math.sqrt(sum((x - ma) ** 2 for x in a))
        vb = math.sqrt(sum((y - mb) ** 2 for y in seg))
        if va > 0 and vb > 0:
            best = max(best, cov / (va * vb))
    return best


def open_echo(page: Any, jupyter: JupyterServer) -> None:
    write_notebook(jupyter.root / "echo.ipynb", [ECHO])
    open_notebook(page, jupyter, "echo.ipynb")
    run_all(page)
    page.locator(".nur-conv").wait_for(timeout=30_000)


def test_typed_turn_gets_text_and_audio_back(page: Any, jupyter: JupyterServer) -> None:
    open_echo(page, jupyter)
    widget = page.locator(".nur-conv")
    assert widget.locator(".nur-title").inner_text() == "Echo"
    assert "v2" in widget.locator(".nur-meta").inner_text()
    shot(page, f"idle-{jupyter.flavour}")

    box = page.get_by_role("textbox", name="Type a turn")
    box.fill("where is my parcel")
    box.press("Enter")
    agent = widget.locator('.nur-line[data-role="agent"]')
    agent.wait_for(timeout=15_000)
    assert agent.inner_text().endswith("You said: where is my parcel")
    assert kernel_json(page, "texts") == ["where is my parcel"]
    # 0.8 s of tone went through the playback worklet.
    page.wait_for_function(
        "() => Number(document.querySelector('.nur-conv').dataset.playedMs) >= 700",
        timeout=15_000,
    )
    assert not [e for e in page.nur_errors if "nur" in e.lower()]


def test_microphone_frames_reach_the_kernel(
    page: Any, jupyter: JupyterServer, order_wav: Path
) -> None:
    open_echo(page, jupyter)
    page.get_by_role("button", name="Start microphone").click()
    page.get_by_role("button", name="Stop microphone").wait_for(timeout=15_000)
    source = source_envelope(order_wav)
    wait_kernel(page, f"len(frames) >= {len(source) + 15}", timeout=30, what="microphone frames")
    page.get_by_role("button", name="Stop microphone").click()
    page.get_by_role("button", name="Start microphone").wait_for(timeout=10_000)

    sizes = kernel_json(page, "sorted({len(f) for f in frames})")
    assert sizes == [1024]  # 32 ms of 16 kHz PCM16 each
    actions = wait_kernel(
        page,
        "[c['action'] for c in controls if c['action'] != 'view_ready']",
        timeout=10,
        what="control messages",
    )
    assert actions[:2] == ["mic_started", "mic_stopped"]
    # The speech came through: its energy envelope matches the WAV fed to the fake microphone
    # (the browser's echo cancellation, noise suppression and gain are on, so not the samples).
    received = kernel_json(page, "envelope()")
    assert max(received) > 0.01
    # Measured r ~0.8 with the browser's processing on; unrelated audio or silence gives ~0.
    r = max(best_correlation(pooled(source[i:]), pooled(received)) for i in range(3))
    assert r > 0.7, f"envelope correlation {r:.2f}"
    stats = kernel_json(page, "w.link_stats()")
    assert stats["frames"] >= len(source)
    assert stats["uplink_p50_ms"] is not None
    assert stats["uplink_p50_ms"] < 250


def test_timeline_and_messages(page: Any, jupyter: JupyterServer) -> None:
    open_echo(page, jupyter)
    page.get_by_role("textbox", name="Type a turn").fill("is order 12345 shipped")
    page.get_by_role("textbox", name="Type a turn").press("Enter")
    page.locator('.nur-line[data-role="agent"]').wait_for(timeout=15_000)
    kernel_eval(page, TIMELINE)
    tools = page.locator(".nur-tool")
    page.locator('.nur-tool[data-name="refund"]').wait_for(timeout=10_000)
    assert tools.count() == 2
    assert '"order_id":"12345"' in tools.nth(0).inner_text()
    assert "shipped" in tools.nth(0).inner_text()
    assert tools.nth(1).get_attribute("data-state") == "error"
    assert page.locator(".nur-lat-total").first.inner_text() == "1840 ms"
    assert page.locator(".nur-partial").inner_text().endswith("Your order 12345 has")
    shot(page, f"talking-{jupyter.flavour}")
    if jupyter.flavour == "lab":
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Dark'})"
        )
        page.wait_for_function(
            "() => document.body.dataset.jpThemeLight === 'false'", timeout=15_000
        )
        page.wait_for_timeout(500)
        shot(page, "talking-dark-lab")

    notice = page.get_by_role("alert")
    kernel_eval(page, 'w.push_event({"type": "connection.reconnecting", "attempt": 1})')
    page.wait_for_function(
        "() => document.querySelector('.nur-notice').dataset.code === 'reconnecting'"
    )
    assert "reconnecting" in notice.inner_text()
    shot(page, f"reconnecting-{jupyter.flavour}")

    kernel_eval(
        page,
        'w.push_event({"type": "error", "code": "server_unreachable", "fatal": True,'
        ' "message": "connection refused on 127.0.0.1:8765"})',
    )
    page.wait_for_function(
        "() => document.querySelector('.nur-notice').dataset.code === 'server_unreachable'"
    )
    assert "Cannot reach the Nur server" in notice.inner_text()
    shot(page, f"unreachable-{jupyter.flavour}")

    kernel_eval(page, 'w.push_event({"type": "session.ended", "reason": "max_turns"})')
    page.wait_for_function("() => document.querySelector('.nur-notice').dataset.code === 'ended'")
    assert "turn limit" in notice.inner_text()
    assert page.get_by_role("button", name="Start microphone").is_disabled()
    shot(page, f"ended-{jupyter.flavour}")


def test_microphone_denied_is_explained(playwright_sync: Any, jupyter: JupyterServer) -> None:
    from browser_harness import CHROMIUM, chromium_args

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


def test_a_wav_file_is_sent_as_speech(page: Any, jupyter: JupyterServer, order_wav: Path) -> None:
    open_echo(page, jupyter)
    page.get_by_label("Send a WAV file as speech").set_input_files(str(order_wav))
    actions = wait_kernel(
        page,
        "[c['action'] for c in controls if c['action'].startswith('file')]",
        timeout=10,
        what="file_started",
    )
    assert actions[0] == "file_started"
    wait_kernel(
        page,
        "any(c['action'] == 'file_done' for c in controls)",
        timeout=30,
        what="the whole file, sent at real-time pace",
    )
    assert kernel_json(page, "sorted({len(f) for f in frames})") == [1024]
    source = source_envelope(order_wav)
    received = kernel_json(page, "envelope()")
    # Decoded and resampled in the browser with no processing on the way: a close match,
    # followed by a second of silence so the server's VAD hears the end of the turn.
    assert best_correlation(source, received) > 0.95
    assert len(received) >= len(source) + 30
    assert max(received[-30:]) == 0


def played_ms(page: Any) -> float:
    return float(
        page.evaluate("() => Number(document.querySelector('.nur-conv').dataset.playedMs)")
    )


def test_an_interruption_stops_the_agent_voice_at_once(page: Any, jupyter: JupyterServer) -> None:
    open_echo(page, jupyter)
    page.get_by_role("button", name="Send").click()  # a user gesture before audio, as in use
    kernel_eval(
        page,
        'w.push_event({"type": "response.started", "turn": 1, "generation": 5,'
        ' "response_id": "r5"})\n'
        "w.push_audio(tone(seconds=4.0), sample_rate=22050, generation=5)",
    )
    page.wait_for_function(
        "() => Number(document.querySelector('.nur-conv').dataset.playedMs) > 300",
        timeout=15_000,
    )
    kernel_eval(
        page,
        'w.push_event({"type": "response.interrupted", "turn": 1, "response_id": "r5",'
        ' "played_ms": 300})',
    )
    page.wait_for_timeout(600)
    stopped = played_ms(page)
    # A late chunk of the interrupted response does not play either.
    kernel_eval(page, "w.push_audio(tone(seconds=1.0), sample_rate=22050, generation=5)")
    page.wait_for_timeout(1500)
    assert played_ms(page) == stopped
    assert stopped < 2000  # far less than the 4 s that were queued
    # The next response plays.
    kernel_eval(page, "w.push_audio(tone(seconds=0.5), sample_rate=22050, generation=6)")
    page.wait_for_function(
        f"() => Number(document.querySelector('.nur-conv').dataset.playedMs) >= {stopped + 400}",
        timeout=10_000,
    )


def test_no_microphone_api_on_a_plain_http_host(
    playwright_sync: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Jupyter reached by a name other than localhost over http: the page is not a secure
    context, the browser hides getUserMedia and AudioWorklet, and the widget says why."""
    from browser_harness import CHROMIUM, chromium_args

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
