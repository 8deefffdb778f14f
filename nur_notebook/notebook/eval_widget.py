"""The eval matrix widget: scenarios as rows, variants as columns, filling in live.

Each cell shows its pass rate (coloured red to green), the p50 latency, the change against
the first variant and a mark when it is flaky (some attempts passed, some failed). A click
opens the cell: every attempt's transcript, tool calls, failed checks and each turn's audio,
user and agent. The rows and cells are synced traits (saved with the notebook); the audio
stays in the kernel and is sent as binary buffers when the browser asks for a turn's sound.

    >>> w = EvalMatrixWidget(suite="Order Desk")                       # doctest: +SKIP
    >>> w.begin(scenarios=["order status"], variants=["v1", "v2"], total=6)  # doctest: +SKIP
    >>> w.add_row(row, audio)   # as each attempt finishes (any thread)      # doctest: +SKIP
"""

from __future__ import annotations

import copy
import logging
import pathlib
import threading
from collections.abc import Sequence
from typing import Any

import anywidget
import traitlets

from nur_notebook.evals.driver import TurnAudio
from nur_notebook.evals.summary import summarize
from nur_notebook.protocol.pcm import INPUT_RATE
from nur_notebook.realtime.audio import wav_bytes

log = logging.getLogger(__name__)

_STATIC = pathlib.Path(__file__).parent / "static"


class EvalMatrixWidget(anywidget.AnyWidget):
    """The live matrix of one eval run (see the module docstring)."""

    _esm = _STATIC / "eval_widget.js"
    _css = _STATIC / "eval_widget.css"

    suite = traitlets.Unicode("").tag(sync=True)
    scenarios: traitlets.List[str] = traitlets.List().tag(sync=True)
    variants: traitlets.List[str] = traitlets.List().tag(sync=True)
    #: The summary's cells (passed, attempts, pass_rate, latency p50/p90, flaky, delta).
    cells: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    #: The result rows so far (docs/evals.md), in the order attempts finished.
    rows: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    #: "running", "done" or "failed".
    state = traitlets.Unicode("running").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    pass_rate = traitlets.Float(None, allow_none=True).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._rows: list[dict[str, Any]] = []
        self._audio: list[list[TurnAudio]] = []
        self.on_msg(self._on_custom)

    def begin(self, *, scenarios: Sequence[str], variants: Sequence[str], total: int) -> None:
        """The matrix's shape, before the first attempt ends."""
        with self._lock:
            self.scenarios = list(scenarios)
            self.variants = list(variants)
            self.total = int(total)
            self._publish()

    def add_row(self, row: dict[str, Any], audio: list[TurnAudio]) -> None:
        """One finished attempt: its cell fills in."""
        with self._lock:
            self._rows.append(copy.deepcopy(row))
            self._audio.append(list(audio))
            self._publish()

    def finish(self, *, error: str = "") -> None:
        """The run is over (``error`` says why it stopped early)."""
        with self._lock:
            self.error = error
            self.state = "failed" if error else "done"

    def _publish(self) -> None:
        summary = summarize(
            self._rows, suite=self.suite, scenarios=self.scenarios, variants=self.variants
        )
        self.cells = summary["cells"]
        self.pass_rate = summary["pass_rate"]
        self.rows = copy.deepcopy(self._rows)

    def audio_of(self, row: int, turn: int) -> TurnAudio | None:
        """The recorded audio of turn ``turn`` (0-based) of row ``row``, if any."""
        with self._lock:
            if 0 <= row < len(self._audio) and 0 <= turn < len(self._audio[row]):
                return self._audio[row][turn]
        return None

    def _on_custom(self, _widget: Any, content: Any, _buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("type") != "audio":
            return
        row, turn = content.get("row"), content.get("turn")
        if not isinstance(row, int) or not isinstance(turn, int):
            return
        sound = self.audio_of(row, turn)
        parts: list[bytes] = []
        kinds: list[str] = []
        if sound is not None and sound.user_pcm:
            parts.append(wav_bytes(sound.user_pcm, sample_rate=INPUT_RATE))
            kinds.append("user")
        if sound is not None and sound.agent_pcm:
            parts.append(wav_bytes(sound.agent_pcm, sample_rate=sound.agent_rate))
            kinds.append("agent")
        message = {"type": "audio", "row": row, "turn": turn, "kinds": kinds}
        self.send(message, buffers=parts)


__all__ = ["EvalMatrixWidget"]
