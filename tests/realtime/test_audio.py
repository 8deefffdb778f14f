from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from nur_notebook.protocol.pcm import float_to_pcm16, pcm16_to_float
from nur_notebook.realtime.audio import read_wav, wav_to_pcm16, write_wav


def _tone(freq: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.sin(2 * np.pi * freq * t).astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


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
