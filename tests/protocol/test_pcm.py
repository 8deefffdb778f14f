"""The PCM module: conversions, both resamplers, framing, a recording as a turn, and the
front end's copy of the constants."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from nur_notebook.protocol import pcm
from nur_notebook.protocol.events import METRIC_KEYS, MetricsTurn
from nur_notebook.protocol.pcm import (
    FRAME_BYTES,
    FRAME_MS,
    TRAILING_SILENCE_MS,
    float_to_pcm16,
    pcm16_to_float,
    recording_as_turn,
    resample,
    resample_linear,
    split_frames,
)

JS = Path(__file__).resolve().parents[2] / "js"


def _tone(freq: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.sin(2 * np.pi * freq * t).astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * rate / samples.size)


# --- conversions -------------------------------------------------------------------


def test_pcm16_round_trip_and_clipping() -> None:
    x = np.array([0.0, 0.5, -0.5, 2.0, -2.0], dtype=np.float32)
    back = pcm16_to_float(float_to_pcm16(x))
    assert np.allclose(back, [0.0, 0.5, -0.5, 1.0, -1.0], atol=1e-4)
    assert pcm16_to_float(b"\x00\x40\x01").size == 1  # a trailing half sample is ignored


def test_pcm16_to_float_scale() -> None:
    data = np.array([0, 16384, -32768], dtype="<i2").tobytes()
    assert pcm16_to_float(data).tolist() == [0.0, 0.5, -1.0]


# --- the windowed-sinc resampler ---------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), [(22_050, 16_000), (44_100, 16_000), (8_000, 16_000)])
def test_a_tone_keeps_its_pitch_and_level(src: int, dst: int) -> None:
    out = resample(_tone(440, src, 1.0), src_rate=src, dst_rate=dst)
    assert out.shape == (dst,)
    expected = _tone(440, dst, 1.0)
    inner = slice(200, -200)  # the edges see zero padding
    assert np.max(np.abs(out[inner] - expected[inner])) < 1e-3


def test_resample_keeps_duration_and_pitch() -> None:
    out = resample(0.5 * _tone(440, 24_000, 1.0), src_rate=24_000, dst_rate=16_000)
    assert out.size == 16_000
    assert abs(_peak_hz(out, 16_000) - 440) < 2


def test_downsampling_removes_what_the_new_rate_cannot_hold() -> None:
    # 10 kHz is above 16 kHz's Nyquist (8 kHz): it must not fold back as a 6 kHz tone.
    out = resample(_tone(10_000, 44_100, 1.0), src_rate=44_100, dst_rate=16_000)
    assert _rms(out[200:-200]) < 0.01


def test_same_rate_and_empty_input_pass_through() -> None:
    x = _tone(100, 16_000, 0.1)
    assert np.array_equal(resample(x, src_rate=16_000, dst_rate=16_000), x)
    assert resample(np.zeros(0, dtype=np.float32), src_rate=44_100, dst_rate=16_000).size == 0


def test_bad_rates_and_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        resample(np.zeros(4, dtype=np.float32), src_rate=0, dst_rate=16_000)
    with pytest.raises(ValueError, match="mono"):
        resample(np.zeros((4, 2), dtype=np.float32), src_rate=8_000, dst_rate=16_000)


# --- the linear resampler ----------------------------------------------------------


def test_linear_int16_keeps_duration_and_tone() -> None:
    rate = 22_050
    tone = (_tone(440, rate, 1.0) * 10_000).astype(np.int16)
    out = resample_linear(tone, src_rate=rate, dst_rate=24_000)
    assert out.dtype == np.int16
    assert out.size == 24_000
    assert abs(_peak_hz(out, 24_000) - 440) <= 1  # 1 s of audio: bin = Hz
    assert resample_linear(tone, src_rate=rate, dst_rate=rate) is tone
    with pytest.raises(ValueError, match="positive"):
        resample_linear(tone, src_rate=0, dst_rate=16_000)


def test_linear_int16_clips_instead_of_wrapping() -> None:
    loud = np.array([32767, 32767, -32768, -32768], dtype=np.int16)
    out = resample_linear(loud, src_rate=8_000, dst_rate=16_000)
    assert out.min() == -32768
    assert out.max() == 32767


def test_linear_never_rings_past_the_input_where_the_sinc_does() -> None:
    # A piece that steps from silence to loud: the sinc overshoots (rings) at the step, the
    # linear interpolation stays within the input's range, so joined pieces never click.
    step = np.concatenate([np.zeros(160), np.full(160, 0.9)]).astype(np.float32)
    linear = resample_linear(step, src_rate=16_000, dst_rate=24_000)
    assert linear.dtype == np.float32
    assert linear.size == 480
    assert (linear.min(), linear.max()) == (0.0, pytest.approx(0.9))
    assert resample(step, src_rate=16_000, dst_rate=24_000).max() > 0.95
    assert resample_linear(np.zeros(0, np.float32), src_rate=8_000, dst_rate=16_000).size == 0


# --- framing and a recording as a turn ---------------------------------------------


def test_split_frames_pads_only_the_last_frame() -> None:
    data = bytes(range(256)) * 9  # 2304 bytes: two whole frames and 256 bytes
    frames = split_frames(data)
    assert [len(f) for f in frames] == [FRAME_BYTES] * 3
    assert b"".join(frames)[: len(data)] == data
    assert frames[-1][256:] == bytes(FRAME_BYTES - 256)
    assert split_frames(b"") == []
    with pytest.raises(ValueError, match="even"):
        split_frames(data, frame_bytes=3)


def test_a_recording_as_a_turn_is_its_frames_then_the_trailing_silence() -> None:
    speech = float_to_pcm16(0.3 * _tone(200, 16_000, 0.5))  # 8000 samples: 15.6 frames
    frames = recording_as_turn(speech)
    silent = math.ceil(TRAILING_SILENCE_MS / FRAME_MS)
    assert len(frames) == 16 + silent
    assert all(len(f) == FRAME_BYTES for f in frames)
    assert b"".join(frames[:16])[: len(speech)] == speech
    assert set(b"".join(frames[16:])) == {0}
    assert len(frames[16:]) * FRAME_MS >= TRAILING_SILENCE_MS


def test_frame_constants_agree() -> None:
    assert pcm.FRAME_SAMPLES * 1000 // pcm.INPUT_RATE == FRAME_MS == 32
    assert FRAME_BYTES == 2 * pcm.FRAME_SAMPLES


def _js_constant(source: str, name: str) -> str:
    match = re.search(rf"export const {name} = ([^;]+);", source)
    assert match is not None, f"js/pcm.js defines no {name}"
    return match.group(1).strip()


def test_the_front_end_uses_the_same_constants() -> None:
    source = (JS / "pcm.js").read_text(encoding="utf-8")
    assert int(_js_constant(source, "INPUT_RATE")) == pcm.INPUT_RATE
    assert int(_js_constant(source, "FRAME_SAMPLES")) == pcm.FRAME_SAMPLES
    assert int(_js_constant(source, "TRAILING_SILENCE_MS")) == TRAILING_SILENCE_MS
    assert _js_constant(source, "FRAME_MS") == "(FRAME_SAMPLES * 1000) / INPUT_RATE"


# --- metric keys --------------------------------------------------------------------


def test_metric_keys_are_the_latency_fields_of_metrics_turn() -> None:
    assert METRIC_KEYS[:3] == ("voice_to_voice_ms", "stt_ms", "llm_first_token_ms")
    assert set(METRIC_KEYS) == set(MetricsTurn.__dataclass_fields__) - {"turn", "seq", "type"}


def test_the_widget_draws_only_known_metric_keys() -> None:
    source = (JS / "display.js").read_text(encoding="utf-8")
    stages = source[source.index("export const STAGES") :].split("]);", 1)[0]
    drawn = re.findall(r'\["([a-z_]+)",', stages)
    assert drawn
    assert set(drawn) <= set(METRIC_KEYS)
    assert drawn == [key for key in METRIC_KEYS if key in drawn]  # pipeline order
