"""The listener on real speech: Silero VAD, turn detection and utterance cutting."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_server import silence, speech

from nur_notebook.protocol.settings import TurnDetection
from nur_notebook.server.pipeline.vad import SileroVAD
from nur_notebook.server.realtime.listener import Listener, SpeechStart, SpeechStop

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def vad() -> SileroVAD:
    return SileroVAD()


def feed(listener: Listener, pcm: bytes, *, frame_bytes: int = 1280) -> list[object]:
    events: list[object] = []
    for offset in range(0, len(pcm), frame_bytes):
        events += listener.feed(pcm[offset : offset + frame_bytes])
    return events


def test_speech_then_silence_gives_one_turn_with_its_audio(vad: SileroVAD, tmp_path: Path) -> None:
    said = speech("Where is my parcel?", tmp_path)
    listener = Listener(vad.fresh(), TurnDetection(silence_ms=500, prefix_ms=300))
    events = feed(listener, silence(1.0) + said + silence(1.0))
    assert [type(e) for e in events] == [SpeechStart, SpeechStop]
    start, stop = events
    assert isinstance(start, SpeechStart)
    assert isinstance(stop, SpeechStop)
    assert 1_100 <= start.audio_ms <= 1_700  # 1 s of silence + 0.3 s of padding
    assert stop.utterance is not None
    spoken_s = len(said) / 32_000 - 0.6
    assert spoken_s + 0.2 < stop.utterance.size / 16_000 < spoken_s + 1.6
    assert listener.buffered_samples < 16_000  # old silence is not kept


def test_push_to_talk_keeps_everything_until_commit(vad: SileroVAD, tmp_path: Path) -> None:
    listener = Listener(vad.fresh(), TurnDetection(mode="push_to_talk"))
    pcm = silence(0.5) + speech("Good morning.", tmp_path) + silence(1.0)
    events = feed(listener, pcm)
    stops = [e for e in events if isinstance(e, SpeechStop)]
    assert all(e.utterance is None for e in stops)
    audio = listener.commit()
    assert audio is not None
    assert audio.size == len(pcm) // 2
    assert listener.commit() is None
    feed(listener, silence(0.2))
    listener.clear()
    assert listener.commit() is None
