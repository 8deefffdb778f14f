"""The listener on real speech: Silero VAD, turn detection and utterance cutting."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from live_server import silence, speech

from nur_notebook.protocol.settings import TurnDetection
from nur_notebook.server.pipeline.vad import SileroVAD
from nur_notebook.server.realtime.listener import (
    Listener,
    SpeechPause,
    SpeechProgress,
    SpeechResume,
    SpeechStart,
    SpeechStop,
)

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


def test_a_pause_comes_first_with_the_utterance_so_far(vad: SileroVAD, tmp_path: Path) -> None:
    said = speech("Where is my parcel?", tmp_path)
    listener = Listener(vad.fresh(), TurnDetection(silence_ms=600), pause_ms=200)
    events = feed(listener, silence(0.5) + said + silence(1.0))
    assert [type(e) for e in events] == [SpeechStart, SpeechPause, SpeechStop]
    pause, stop = events[1], events[2]
    assert isinstance(pause, SpeechPause)
    assert isinstance(stop, SpeechStop)
    assert stop.utterance is not None
    assert pause.ended_at == stop.ended_at  # the same end of speech
    # The pause's audio is the turn's audio without the last ~400 ms of silence.
    assert 0.25 < (stop.utterance.size - pause.utterance.size) / 16_000 < 0.55


def test_speech_after_a_pause_resumes_the_turn(vad: SileroVAD, tmp_path: Path) -> None:
    listener = Listener(vad.fresh(), TurnDetection(silence_ms=2000), pause_ms=200)
    first, second = speech("My order", tmp_path), speech("is late.", tmp_path)
    events = feed(listener, silence(0.3) + first + second + silence(2.5))
    kinds = [type(e) for e in events]
    assert kinds[0] is SpeechStart
    assert kinds[-1] is SpeechStop
    assert SpeechResume in kinds
    assert kinds.count(SpeechStart) == 1  # one turn: the pause between words was no end
    assert kinds.count(SpeechPause) == kinds.count(SpeechResume) + 1


def test_every_second_of_speech_brings_the_words_so_far(vad: SileroVAD, tmp_path: Path) -> None:
    said = speech("Could you tell me where my parcel from last Tuesday is now?", tmp_path)
    listener = Listener(vad.fresh(), TurnDetection(silence_ms=600), ahead_ms=1000)
    events = feed(listener, silence(0.5) + said + silence(1.0))
    kinds = [type(e) for e in events]
    assert kinds[0] is SpeechStart
    assert kinds[-1] is SpeechStop
    progress = [e for e in events if isinstance(e, SpeechProgress)]
    spoken_s = len(said) / 32_000 - 0.6  # the speech helper pads 0.3 s each side
    assert len(progress) >= int(spoken_s) - 1 >= 2
    sizes = [e.utterance.size / 16_000 for e in progress]
    assert sizes == sorted(sizes)  # each holds the one before and more
    # A second or more apart (a mark falls on a voiced frame: pauses shift it later).
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(sizes))
    stop = events[-1]
    assert isinstance(stop, SpeechStop)
    assert stop.utterance is not None
    assert sizes[-1] < stop.utterance.size / 16_000  # the turn keeps all its audio


def test_no_words_so_far_without_listening_ahead_or_in_push_to_talk(
    vad: SileroVAD, tmp_path: Path
) -> None:
    pcm = silence(0.3) + speech("Could you tell me where my parcel is now?", tmp_path)
    for listener in (
        Listener(vad.fresh(), TurnDetection(silence_ms=600)),
        Listener(vad.fresh(), TurnDetection(mode="push_to_talk"), ahead_ms=1000),
    ):
        events = feed(listener, pcm + silence(1.0))
        assert not [e for e in events if isinstance(e, SpeechProgress)]
