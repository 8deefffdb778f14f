"""The conversation widget in JupyterLab 4 and Notebook 7, wired to a Python echo in the kernel.

No session here: the kernel side answers typed turns itself and records microphone frames, so
these tests check the widget and its two audio paths alone (the full flow is in
test_conversation_browser.py): the relay socket through the Jupyter server's route, live
whenever the server extension is on, and the comm when the relay cannot be reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_harness import JupyterServer, kernel_eval, kernel_json, wait_kernel
from browser_shots import shot
from widget_echo import (
    TIMELINE,
    best_correlation,
    open_echo,
    played_ms,
    source_envelope,
    speech_match,
    transport,
    wait_control,
)

pytestmark = pytest.mark.browser


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
    # The agent's voice came over the relay socket, not the comm.
    assert transport(page) == "relay"
    assert kernel_eval(page, "print(w.transport)").strip() == "relay"
    assert not [e for e in page.nur_errors if "nur" in e.lower()]


def test_microphone_frames_reach_the_kernel(
    page: Any, jupyter: JupyterServer, order_wav: Path
) -> None:
    open_echo(page, jupyter)
    page.wait_for_function(
        "() => document.querySelector('.nur-conv').dataset.transport === 'relay'",
        timeout=15_000,
    )
    page.get_by_role("button", name="Start microphone").click()
    page.get_by_role("button", name="Stop microphone").wait_for(timeout=15_000)
    source = source_envelope(order_wav)
    # A cell that keeps the kernel busy does not stall the microphone: the frames come over
    # the relay socket, not through the shell queue (about 62 frames in 2 s).
    during = int(
        kernel_eval(page, "import time\nn0 = len(frames)\ntime.sleep(2)\nprint(len(frames) - n0)")
    )
    assert during >= 40, f"{during} frames arrived while a cell ran"
    wait_kernel(page, f"len(frames) >= {len(source) + 15}", timeout=30, what="microphone frames")
    page.get_by_role("button", name="Stop microphone").click()
    page.get_by_role("button", name="Start microphone").wait_for(timeout=10_000)

    sizes = kernel_json(page, "sorted({len(f) for f in frames})")
    assert sizes == [1024]  # 32 ms of 16 kHz PCM16 each
    # The stop message may land after the frames: wait for it, then read them all.
    wait_control(page, "mic_stopped", timeout=10, what="the mic_stopped control message")
    actions = kernel_json(page, "[c['action'] for c in controls if c['action'] != 'view_ready']")
    assert actions[:2] == ["mic_started", "mic_stopped"]
    # The speech came through: its energy envelope matches the WAV fed to the fake microphone
    # (the browser's echo cancellation, noise suppression and gain are on, so not the samples).
    received = kernel_json(page, "envelope()")
    assert max(received) > 0.01
    # Measured r ~0.8 with the browser's processing on; unrelated audio or silence gives ~0.
    r, how = speech_match(source, received)
    print(f"microphone envelope: {how}")
    if r <= 0.7:  # keep what arrived, to compare with the WAV
        kept = order_wav.with_name(f"received-{jupyter.flavour}.pcm")
        kernel_eval(page, f"open({str(kept)!r}, 'wb').write(b''.join(frames))")
        how += f"; received 16 kHz PCM16 kept in {kept}"
    assert r > 0.7, f"envelope correlation: {how}"
    stats = kernel_json(page, "w.link_stats()")
    assert stats["frames"] >= len(source)
    assert stats["uplink_p50_ms"] is not None
    assert stats["uplink_p50_ms"] < 250
    assert kernel_json(page, "w._relay.frames") == stats["frames"]  # every frame on the relay


def test_without_the_relay_the_comm_carries_the_conversation(
    page: Any, jupyter: JupyterServer, order_wav: Path
) -> None:
    """A widget told a port where no relay listens (as a server without the extension, or
    VS Code, would leave it): frames, controls and agent audio all go over the comm."""
    open_echo(page, jupyter, setup="w.relay_port = 1  # nothing listens there")
    page.wait_for_timeout(1500)  # the relay attempt fails in the meantime
    assert transport(page) == "comm"
    page.get_by_role("button", name="Start microphone").click()
    page.get_by_role("button", name="Stop microphone").wait_for(timeout=15_000)
    wait_kernel(page, "len(frames) >= 60", timeout=30, what="microphone frames over the comm")
    page.get_by_role("button", name="Stop microphone").click()
    wait_control(page, "mic_stopped", timeout=10, what="the mic_stopped control message")
    assert kernel_json(page, "sorted({len(f) for f in frames})") == [1024]
    assert kernel_json(page, "w._relay.frames") == 0
    assert kernel_eval(page, "print(w.transport)").strip() == "comm"
    box = page.get_by_role("textbox", name="Type a turn")
    box.fill("still there?")
    box.press("Enter")
    page.locator('.nur-line[data-role="agent"]').wait_for(timeout=15_000)
    page.wait_for_function(
        "() => Number(document.querySelector('.nur-conv').dataset.playedMs) >= 700",
        timeout=15_000,
    )
    # Nothing alarming on the page: no notice, no widget error.
    assert page.locator(".nur-notice").inner_text().strip() == ""
    assert not [e for e in page.nur_errors if "nur" in e.lower()]


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
    assert page.locator(".nur-lat-total").first.inner_text() == "1.84 s"
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
    assert page.get_by_role("textbox", name="Type a turn").is_disabled()  # a dead session
    shot(page, f"unreachable-{jupyter.flavour}")

    kernel_eval(page, 'w.push_event({"type": "session.ended", "reason": "max_turns"})')
    page.wait_for_function("() => document.querySelector('.nur-notice').dataset.code === 'ended'")
    assert "turn limit" in notice.inner_text()
    assert page.get_by_role("button", name="Start microphone").is_disabled()
    shot(page, f"ended-{jupyter.flavour}")


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
    wait_control(page, "file_done", timeout=30, what="the whole file, sent at real-time pace")
    assert kernel_json(page, "sorted({len(f) for f in frames})") == [1024]
    source = source_envelope(order_wav)
    received = kernel_json(page, "envelope()")
    # Decoded and resampled in the browser with no processing on the way: a close match,
    # followed by a second of silence so the server's VAD hears the end of the turn.
    assert best_correlation(source, received) > 0.95
    assert len(received) >= len(source) + 30
    assert max(received[-30:]) == 0


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
