"""Audio input conversion and the two-sided conversation recording (pure)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from nur_notebook.notebook.audio import Recorder, to_pcm16_16k
from nur_notebook.protocol.pcm import float_to_pcm16, pcm16_to_float
from nur_notebook.realtime.audio import read_wav


def wav_bytes(samples: np.ndarray, *, rate: int, channels: int = 1, width: int = 2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_wav_stereo_24k_becomes_16k_mono(tmp_path: Path) -> None:
    left = (tone(300, 0.5, 24_000) * 32767).astype("<i2")
    stereo = np.stack([left, left], axis=1).reshape(-1)
    path = tmp_path / "in.wav"
    path.write_bytes(wav_bytes(stereo, rate=24_000, channels=2))
    pcm = to_pcm16_16k(path, sample_rate=99)  # the file's own rate wins
    assert len(pcm) == 8_000 * 2
    assert to_pcm16_16k(path.read_bytes(), sample_rate=16_000) == pcm


def test_arrays_int_and_float_and_2d() -> None:
    floats = tone(200, 0.25, 8_000)
    pcm = to_pcm16_16k(floats, sample_rate=8_000)
    assert len(pcm) == 4_000 * 2
    ints = (floats * 32767).astype(np.int16)
    assert np.allclose(
        pcm16_to_float(to_pcm16_16k(ints, sample_rate=8_000)), pcm16_to_float(pcm), atol=1e-3
    )
    two_channels = np.stack([floats, floats])
    assert len(to_pcm16_16k(two_channels, sample_rate=8_000)) == len(pcm)


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        (b"not a wav", ValueError, "not a PCM WAV"),
        ("/no/such/file.wav", FileNotFoundError, "no audio file"),
        (np.zeros((2, 2, 2)), ValueError, "1-D"),
        (np.array(["a", "b"]), ValueError, "numbers"),
    ],
)
def test_bad_audio_inputs(source: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        to_pcm16_16k(source, sample_rate=16_000)  # type: ignore[arg-type]


def test_eight_bit_wav() -> None:
    data = wav_bytes(np.full(800, 192, dtype=np.uint8), rate=8_000, width=1)
    audio, rate = read_wav(data)
    assert rate == 8_000
    assert np.allclose(audio, 0.5)


def test_recorder_lays_both_sides_on_one_timeline() -> None:
    recorder = Recorder()
    user = float_to_pcm16(np.full(16_000, 0.25, dtype=np.float32))  # 1 s at 16 kHz
    agent = float_to_pcm16(np.full(12_000, -0.5, dtype=np.float32))  # 0.5 s at 24 kHz
    recorder.add_user(user, at=10.0)
    recorder.add_agent(agent, sample_rate=24_000, at=12.0)
    recorder.add_agent(agent, sample_rate=24_000, at=12.1)  # overlaps: placed right after
    assert recorder.seconds == pytest.approx((1.0, 1.0))
    audio, rate = read_wav(recorder.to_wav())  # mixed to mono by read_wav
    with wave.open(io.BytesIO(recorder.to_wav())) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 24_000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert rate == 24_000
    assert frames.shape[0] == 3 * 24_000  # agent ends at 2 s + 0.5 s + 0.5 s
    left, right = frames[:, 0] / 32768, frames[:, 1] / 32768
    assert np.allclose(left[:24_000], 0.25, atol=1e-3)
    assert np.allclose(left[24_000:], 0.0)
    assert np.allclose(right[: 2 * 24_000], 0.0)
    assert np.allclose(right[2 * 24_000 :], -0.5, atol=1e-3)
    assert audio.size == frames.shape[0]
