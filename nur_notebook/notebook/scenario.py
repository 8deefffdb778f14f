"""A conversation as an eval scenario (pure, but for writing WAV files when asked).

``Conversation.to_scenario`` hands its transcript, tool calls and each user turn's audio
here. Every user turn becomes a turn of the scenario, expecting the tool calls it led to
(names and arguments, matched as a subset) or ``no_tool_call`` when it led to none.

    >>> transcript = [{"role": "user", "text": "Where is order 7?", "turn": 1}]
    >>> calls = [{"name": "lookup_order", "arguments": {"order_id": "7"}, "turn": 1}]
    >>> scenario_from(transcript, calls, name="order")["turns"][0]["expect"]
    {'tool_call': [{'name': 'lookup_order', 'arguments': {'order_id': '7'}}]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nur_notebook.protocol.pcm import INPUT_RATE
from nur_notebook.realtime.audio import wav_bytes


def scenario_from(
    transcript: Sequence[Mapping[str, Any]],
    tool_calls: Sequence[Mapping[str, Any]],
    *,
    name: str,
    audio: Mapping[int, bytes] | None = None,
    mode: str | None = None,
    audio_dir: Path | None = None,
) -> dict[str, Any]:
    """The scenario dict (see the module docstring); ``audio`` maps turn -> 16 kHz PCM16."""
    users = [e for e in transcript if e.get("role") == "user" and str(e.get("text", "")).strip()]
    if not users:
        raise ValueError("this conversation has no user turn to replay yet")
    recorded = audio or {}
    spoken = all(int(e["turn"]) in recorded for e in users)
    chosen = mode or ("audio" if spoken else "text")
    if chosen not in ("text", "spoken", "audio"):
        raise ValueError(f"mode must be text, spoken or audio, got {mode!r}")
    if chosen == "audio" and not spoken:
        raise ValueError("only spoken turns can be replayed as audio: some turns were typed")
    turns: list[dict[str, Any]] = []
    for index, entry in enumerate(users, start=1):
        number = int(entry["turn"])
        made = [c for c in tool_calls if int(c.get("turn", -1)) == number]
        expect: dict[str, Any] = {}
        if made:
            expect["tool_call"] = [
                {"name": str(c["name"]), "arguments": dict(c.get("arguments") or {})} for c in made
            ]
        else:
            expect["no_tool_call"] = True
        turn: dict[str, Any] = {"user": str(entry["text"]).strip(), "expect": expect}
        if chosen == "audio":
            wav = wav_bytes(recorded[number], sample_rate=INPUT_RATE)
            if audio_dir is not None:
                audio_dir.mkdir(parents=True, exist_ok=True)
                path = audio_dir / f"{_slug(name)}-turn{index}.wav"
                path.write_bytes(wav)
                turn["audio"] = str(path)
            else:
                turn["audio"] = wav
        turns.append(turn)
    return {"name": name, "mode": chosen, "turns": turns}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "scenario"


__all__ = ["scenario_from"]
