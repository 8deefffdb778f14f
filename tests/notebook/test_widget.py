"""ConversationWidget: messages from the browser reach the right callbacks; pushes are binary."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import traitlets

from nur_notebook.notebook.widget import ConversationWidget


class Sent:
    """Records what the widget hands to its comm (the kernel's transport)."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], list[Any] | None]] = []

    def __call__(self, data: dict[str, Any], buffers: list[Any] | None = None, **_: Any) -> None:
        self.messages.append((data, buffers))


@pytest.fixture
def widget(monkeypatch: pytest.MonkeyPatch) -> tuple[ConversationWidget, Sent]:
    w = ConversationWidget(agent={"name": "Support", "version": 1})
    sent = Sent()
    monkeypatch.setattr(w.comm, "send", sent)
    return w, sent


def from_browser(w: ConversationWidget, content: Any, buffers: list[Any] | None = None) -> None:
    """Deliver a custom message the way ipywidgets does for a comm message."""
    msg = {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []}
    w._handle_msg(msg)


def test_bundle_carries_both_worklets_and_the_scoped_css() -> None:
    esm = str(ConversationWidget._esm)
    assert "export" in esm
    assert "nur-capture" in esm  # worklets are inlined as text, loaded from Blob URLs
    assert "nur-playback" in esm
    assert ".nur-conv" in str(ConversationWidget._css)


def test_traits_hold_the_record() -> None:
    w = ConversationWidget(transcript=[{"role": "user", "text": "hi", "turn": 1}])
    assert w.status == "connecting"
    assert w.transcript[0]["text"] == "hi"
    keys = w.keys
    for name in ("agent", "status", "transcript", "tool_calls", "metrics", "error"):
        assert name in keys


def test_audio_frames_arrive_as_bytes(widget: tuple[ConversationWidget, Sent]) -> None:
    w, _ = widget
    got: list[bytes] = []
    w.on_mic_audio(got.append)
    frame = memoryview(bytes(range(256)) * 4)  # 1,024 bytes: one 32 ms frame
    from_browser(w, {"type": "audio", "t": 0.0}, [frame])
    assert got == [frame.tobytes()]
    assert isinstance(got[0], bytes)
    assert w.frames_received == 1


def test_bad_frames_are_dropped_not_raised(
    widget: tuple[ConversationWidget, Sent], caplog: pytest.LogCaptureFixture
) -> None:
    w, _ = widget
    got: list[bytes] = []
    w.on_mic_audio(got.append)
    with caplog.at_level(logging.WARNING):
        from_browser(w, {"type": "audio"}, [memoryview(b"\x01\x02\x03")])
        from_browser(w, {"type": "audio"}, [])
        from_browser(w, "not an object")
    assert got == []
    assert "odd length" in caplog.text


def test_text_control_and_wav(widget: tuple[ConversationWidget, Sent]) -> None:
    w, _ = widget
    texts: list[str] = []
    controls: list[dict[str, Any]] = []
    wavs: list[bytes] = []
    w.on_text(texts.append)
    w.on_control(controls.append)
    w.on_wav(wavs.append)
    from_browser(w, {"type": "text", "text": "  where is order 1234?  "})
    from_browser(w, {"type": "text", "text": "   "})
    from_browser(w, {"type": "control", "action": "mic_denied", "detail": "denied"})
    from_browser(w, {"type": "wav", "name": "a.wav"}, [memoryview(b"RIFF....WAVE")])
    assert texts == ["where is order 1234?"]
    assert controls == [{"type": "control", "action": "mic_denied", "detail": "denied"}]
    assert wavs == [b"RIFF....WAVE"]


def test_a_failing_handler_does_not_stop_the_others(
    widget: tuple[ConversationWidget, Sent], caplog: pytest.LogCaptureFixture
) -> None:
    w, _ = widget
    got: list[str] = []

    def broken(_: str) -> None:
        raise RuntimeError("boom")

    w.on_text(broken)
    w.on_text(got.append)
    with caplog.at_level(logging.ERROR):
        from_browser(w, {"type": "text", "text": "hello"})
    assert got == ["hello"]
    assert "handler failed" in caplog.text


def test_push_audio_is_one_binary_buffer(widget: tuple[ConversationWidget, Sent]) -> None:
    w, sent = widget
    pcm = b"\x00\x01" * 441
    w.push_audio(pcm, sample_rate=22050, generation=3)
    w.push_audio(b"", sample_rate=22050)
    assert len(sent.messages) == 1
    data, buffers = sent.messages[0]
    assert data["content"] == {"type": "audio", "sample_rate": 22050, "generation": 3}
    assert buffers == [pcm]


def test_push_event_and_flush(widget: tuple[ConversationWidget, Sent]) -> None:
    w, sent = widget
    w.push_event({"type": "transcript.agent.delta", "turn": 1, "text": "Hi"})
    w.flush_audio(4)
    kinds = [m[0]["content"] for m in sent.messages]
    assert kinds == [
        {"type": "event", "event": {"type": "transcript.agent.delta", "turn": 1, "text": "Hi"}},
        {"type": "flush", "generation": 4},
    ]


def test_ping_answers_give_link_stats(widget: tuple[ConversationWidget, Sent]) -> None:
    w, sent = widget
    assert w.link_stats()["pings"] == 0
    w.ping()
    probe = sent.messages[-1][0]["content"]
    assert probe["type"] == "ping"
    from_browser(
        w, {"type": "pong", "id": probe["id"], "t": probe["t"], "browser_t": probe["t"] + 2}
    )
    from_browser(w, {"type": "pong", "id": 9, "t": "bad"})
    stats = w.link_stats()
    assert stats["pings"] == 1
    assert stats["downlink_p50_ms"] == pytest.approx(2.0)
    rtt = stats["rtt_p50_ms"]
    assert isinstance(rtt, float)
    assert 0 <= rtt < 1000


def test_frames_per_message_is_bounded() -> None:
    assert ConversationWidget().frames_per_message == 1
    assert ConversationWidget(frames_per_message=2).frames_per_message == 2
    with pytest.raises(traitlets.TraitError):
        ConversationWidget(frames_per_message=0)
