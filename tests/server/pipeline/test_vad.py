from __future__ import annotations

import numpy as np
import pytest
from engine_speech import Speak

from nur_notebook.server.pipeline.base import VAD
from nur_notebook.server.pipeline.vad import SileroVAD, WebRtcVAD, make_vad

pytestmark = pytest.mark.engines


def _probabilities(vad: VAD, audio: np.ndarray) -> list[float]:
    n = vad.frame_samples
    return [vad.speech_probability(audio[i : i + n]) for i in range(0, len(audio) - n + 1, n)]


def _noise(seconds: float, level: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.standard_normal(int(16000 * seconds)) * level).astype(np.float32)


@pytest.mark.parametrize("kind", ["silero", "webrtc"])
def test_speech_is_found_and_silence_and_noise_are_not(kind: str, speak: Speak) -> None:
    vad = make_vad(kind).fresh()
    speech = speak("The quick brown fox jumps over the lazy dog, twice in a row.")
    in_speech = _probabilities(vad, speech)
    vad.reset()
    silence = _probabilities(vad, np.zeros(16000, dtype=np.float32))
    vad.reset()
    noise = _probabilities(vad, _noise(2.0, 0.02))
    assert np.mean([p > 0.5 for p in in_speech]) > 0.6
    assert max(silence) < 0.5
    assert np.mean([p > 0.5 for p in noise]) < 0.1


def test_silero_sessions_do_not_share_state(speak: Speak) -> None:
    first = SileroVAD()
    second = first.fresh()
    assert second is not first
    speech = speak("Hello there, this is a test.")
    _probabilities(first, speech)  # first now carries recurrent state
    frame = np.zeros(512, dtype=np.float32)
    fresh_answer = second.speech_probability(frame)
    second.reset()
    assert second.speech_probability(frame) == pytest.approx(fresh_answer, abs=1e-6)


def test_wrong_frame_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="512 samples"):
        SileroVAD().speech_probability(np.zeros(480, dtype=np.float32))
    with pytest.raises(ValueError, match="480 samples"):
        WebRtcVAD().speech_probability(np.zeros(512, dtype=np.float32))
    with pytest.raises(ValueError, match="unknown VAD"):
        make_vad("psychic")
