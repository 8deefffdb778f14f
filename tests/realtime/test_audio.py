from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from nur_notebook.realtime.audio import (
    float_to_pcm16,
    pcm16_to_float,
    read_wav,
    resample,
    wav_to_pcm16,
    write_wav,
)


def _tone(freq: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.sin(2 * np.pi * freq * t).astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.mark.parametrize(("src", "dst"), [(22_050, 16_000), (44_100, 16_000), (8_000, 16_000)])
def test_a_tone_keeps_its_pitch_and_level(src: int, dst: int) -> None:
    out = resample(_tone(440, src, 1.0), src, dst)
    assert out.shape == (dst,)
    expected = _tone(440, dst, 1.0)
    inner = slice(200, -200)  # the edges see zero padding
    assert np.max(np.abs(out[inner] - expected[inner])) < 1e-3


def test_downsampling_removes_what_the_new_rate_cannot_hold() -> None:
    # 10 kHz is above 16 kHz's Nyquist (8 kHz): it must not fold back as a 6 kHz tone.
    out = resample(_tone(10_000, 44_100, 1.0), 44_100, 16_000)
    assert _rms(out[200:-200]) < 0.01


def test_same_rate_and_empty_input_pass_through() -> None:
    x = _tone(100, 16_000, 0.1)
    assert np.array_equal(resample(x, 16_000, 16_000), x)
    assert resample(np.zeros(0, dtype=np.float32), 44_100, 16_000).size == 0


def test_bad_rates_and_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        resample(np.zeros(4, dtype=np.float32), 0, 16_000)
    with pytest.raises(ValueError, match="mono"):
        resample(np.zeros((4, 2), dtype=np.float32), 8_000, 16_000)


def test_pcm16_round_trip_and_clipping() -> None:
    x = np.array([0.0, 0.5, -0.5, 2.0, -2.0], dtype=np.float32)
    back = pcm16_to_float(float_to_pcm16(x))
    assert np.allclose(back, [0.0, 0.5, -0.5, 1.0, -1.0], atol=1e-4)
    assert pcm16_to_float(b"\x00\x40\x01").size == 1  # a trailing half sample is ignored


def test_stereo_wav_at_another_rate_becomes_16k_mono_pcm(tmp_path: Path) -> None:
    left = _tone(300, 22_050, 0.5)
    stereo = np.stack([left, left], axis=1).reshape(-1)
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(22_050)
        wav.writeframes(float_to_pcm16(stereo))
    pcm = wav_to_pcm16(path)
    assert len(pcm) == 2 * 8_000
    assert abs(_rms(pcm16_to_float(pcm)) - _rms(left)) < 0.01


def test_8_24_and_32_bit_wavs_are_read(tmp_path: Path) -> None:
    ints = np.array([0, 1 << 22, -(1 << 22)], dtype=np.int64)  # 0, +0.5, -0.5 at 24 bits
    raw24 = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in ints)
    raw32 = (ints << 8).astype("<i4").tobytes()
    raw8 = bytes([128, 192, 64])
    for width, raw in ((1, raw8), (3, raw24), (4, raw32)):
        path = tmp_path / f"w{width}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(width)
            wav.setframerate(16_000)
            wav.writeframes(raw)
        samples, rate = read_wav(path)
        assert rate == 16_000
        assert np.allclose(samples, [0.0, 0.5, -0.5], atol=1e-6), width


def test_write_wav_then_read_it_back(tmp_path: Path) -> None:
    pcm = float_to_pcm16(_tone(500, 24_000, 0.25))
    write_wav(tmp_path / "out.wav", pcm, sample_rate=24_000)
    samples, rate = read_wav(tmp_path / "out.wav")
    assert rate == 24_000
    assert float_to_pcm16(samples) == pcm


def test_a_file_that_is_not_a_wav_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(ValueError, match=r"notes\.wav: not a PCM WAV file"):
        read_wav(path)
