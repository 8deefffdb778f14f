"""Helpers of the tests in this folder (imported by name: `from engine_speech import ...`).

Fixtures for the engine tests: speech made by eSpeak NG, engines loaded once per run.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from nur_notebook.server.pipeline.base import Float32Audio

Speak = Callable[..., Float32Audio]


def espeak_speech(text: str, *, voice: str = "en-us", workdir: Path) -> Float32Audio:
    """``text`` spoken by the espeak-ng command, as 16 kHz mono float32."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox make the test speech")
    raw, resampled = workdir / "raw.wav", workdir / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-q", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(resampled)], check=True
    )
    with wave.open(str(resampled)) as handle:
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Word-level Levenshtein distance: the substitutions, insertions and deletions that
    turn ``reference`` into ``hypothesis``."""
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance over the reference length (case, punctuation ignored)."""

    def words(text: str) -> list[str]:
        cleaned = "".join(c.lower() if c.isalnum() or c.isspace() else " " for c in text)
        return cleaned.split()

    ref = words(reference)
    return word_edits(ref, words(hypothesis)) / max(len(ref), 1)
