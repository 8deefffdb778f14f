"""The kernel side of the widget-only browser tests: a Python echo behind the widget, and
helpers that compare what the kernel received with the WAV the fake microphone played."""

from __future__ import annotations

import math
import wave
from pathlib import Path
from typing import Any

from browser_harness import JupyterServer, run_notebook, wait_kernel

ECHO = """\
import math, struct
from nur_notebook.notebook.widget import ConversationWidget

w = ConversationWidget(
    agent={"name": "Echo", "version": 2, "voice_id": "joe", "language": "en"}, status="listening"
)
frames, texts, controls, wavs = [], [], [], []
w.on_mic_audio(frames.append)
w.on_control(controls.append)
w.on_wav(wavs.append)

def tone(seconds=0.8, rate=22050, hz=330.0):
    n = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(n)
    )

def answer(text):
    texts.append(text)
    turn = len(texts)
    w.push_event({"type": "transcript.user.final", "turn": turn, "text": text})
    w.push_event({"type": "response.started", "turn": turn, "generation": turn, "response_id": "r"})
    w.push_audio(tone(), sample_rate=22050, generation=turn)
    w.push_event({"type": "transcript.agent.final", "turn": turn, "response_id": "r",
                  "text": "You said: " + text})
    w.push_event({"type": "response.done", "turn": turn, "response_id": "r", "status": "completed"})

w.on_text(answer)

def envelope():
    out = []
    for f in frames:
        s = struct.unpack("<%dh" % (len(f) // 2), f)
        out.append(math.sqrt(sum(x * x for x in s) / len(s)) / 32768)
    return out

w
"""

TIMELINE = """\
w.push_event({"type": "tool.call", "call_id": "call_1", "name": "lookup_order",
              "arguments": {"order_id": "12345"}, "response_id": "r", "turn": 1})
w.push_event({"type": "tool.call.completed", "call_id": "call_1", "name": "lookup_order",
              "output": {"order_id": "12345", "status": "shipped"}, "is_error": False,
              "duration_ms": 2.4})
w.push_event({"type": "tool.call", "call_id": "call_2", "name": "refund",
              "arguments": {"order_id": "12345"}, "response_id": "r", "turn": 1})
w.push_event({"type": "tool.call.completed", "call_id": "call_2", "name": "refund",
              "output": "PermissionError: refunds need a human", "is_error": True,
              "duration_ms": 0.8})
w.push_event({"type": "metrics.turn", "turn": 1, "voice_to_voice_ms": 1840, "stt_ms": 420,
              "llm_first_token_ms": 610, "tool_ms": 3, "tts_first_audio_ms": 180})
w.push_event({"type": "transcript.agent.delta", "turn": 2, "response_id": "r2",
              "text": "Your order 12345 has"})
"""


def source_envelope(path: Path, frame_s: float = 0.032) -> list[float]:
    with wave.open(str(path)) as f:
        rate = f.getframerate()
        raw = f.readframes(f.getnframes())
    samples = [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]
    step = int(rate * frame_s)
    out = []
    for i in range(0, len(samples) - step + 1, step):
        chunk = samples[i : i + step]
        out.append(math.sqrt(sum(x * x for x in chunk) / len(chunk)) / 32768)
    return out


def pooled(x: list[float], k: int = 3) -> list[float]:
    """Mean of every ``k`` values: ~100 ms envelope steps forgive sub-frame misalignment."""
    return [sum(x[i : i + k]) / k for i in range(0, len(x) - k + 1, k)]


def best_correlation(a: list[float], b: list[float]) -> float:
    """Highest Pearson r of ``a`` against ``b`` shifted by any lag (b is the longer one)."""
    return best_lag(a, b)[0]


def best_lag(a: list[float], b: list[float]) -> tuple[float, int]:
    """(r, lag): the highest Pearson r of ``a`` against ``b`` and the lag in ``b`` it is at."""
    best, at = -1.0, 0
    n = len(a)
    for lag in range(0, max(1, len(b) - n + 1)):
        seg = b[lag : lag + n]
        if len(seg) < n:
            break
        ma, mb = sum(a) / n, sum(seg) / n
        cov = sum((x - ma) * (y - mb) for x, y in zip(a, seg, strict=True))
        va = math.sqrt(sum((x - ma) ** 2 for x in a))
        vb = math.sqrt(sum((y - mb) ** 2 for y in seg))
        if va > 0 and vb > 0 and cov / (va * vb) > best:
            best, at = cov / (va * vb), lag
    return best, at


def lead_silence(envelope: list[float], *, margin: int = 2) -> int:
    """Frames of silence before the speech of ``envelope`` (below a tenth of its peak),
    less ``margin``."""
    floor = max(envelope) / 10
    loud = next((i for i, v in enumerate(envelope) if v > floor), 0)
    return max(0, loud - margin)


def speech_match(source: list[float], received: list[float]) -> tuple[float, str]:
    """How well the ``received`` envelope matches the ``source`` speech, and how that was read.

    The fake microphone plays the file from when the device opens; on a loaded machine the
    capture graph may start pulling a few hundred ms later, inside the WAV's leading
    silence, so the received envelope may lead the WAV as well as lag it. The whole
    utterance at one lag, or else its two halves, each at its own lag, the second no earlier
    than the first: a capture that dropped a chunk in the middle shifts the second half only.
    """
    # The capture may open after the file began playing: then less of its leading silence
    # arrives, and the received envelope is given it back.
    received = [0.0] * lead_silence(source) + received
    src, got = pooled(source), pooled(received)
    whole = max(best_correlation(pooled(source[i:]), got) for i in range(3))
    if whole > 0.7:
        return whole, f"whole r={whole:.2f}"
    half = len(src) // 2
    r1, lag1 = best_lag(src[:half], got)
    after = max(0, lag1 + half - 2)
    r2, lag2 = best_lag(src[half:], got[after:])
    how = f"whole r={whole:.2f}; halves r={r1:.2f} at {lag1}, r={r2:.2f} at {after + lag2}"
    return max(whole, min(r1, r2)), how


def open_echo(page: Any, jupyter: JupyterServer, *, setup: str = "") -> None:
    """Open the echo notebook; ``setup`` runs before the widget is displayed."""
    cell = ECHO[: -len("w\n")] + setup + "\nw\n" if setup else ECHO
    run_notebook(page, jupyter, "echo.ipynb", [cell])
    page.locator(".nur-conv").wait_for(timeout=30_000)


def wait_control(page: Any, action: str, *, timeout: float, what: str) -> None:
    """Wait until the echo kernel has received the control message ``action``."""
    wait_kernel(
        page, f"any(c['action'] == {action!r} for c in controls)", timeout=timeout, what=what
    )


def transport(page: Any) -> str:
    """The transport the page's widget says is live ("relay" or "comm")."""
    return str(page.evaluate("() => document.querySelector('.nur-conv').dataset.transport"))


def played_ms(page: Any) -> float:
    return float(
        page.evaluate("() => Number(document.querySelector('.nur-conv').dataset.playedMs)")
    )
