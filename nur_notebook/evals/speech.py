"""The user's side of spoken turns: text rendered to speech by the server, or a WAV file.

``Speaker`` renders text through the public API alone, so it works against any Nur server:
a short-lived "speaker" agent with the wanted voice says the text as its session's
``initial_message`` (the server's TTS, no language model involved), and its audio is kept
as 16 kHz mono PCM16, the format a microphone sends. A run renders each (text, voice,
language) once, so every attempt sends the same sound.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from nur_notebook.protocol.pcm import float_to_pcm16, pcm16_to_float, resample
from nur_notebook.realtime.audio import read_wav
from nur_notebook.realtime.events import ResponseAudio

INPUT_RATE = 16_000
RENDER_TIMEOUT_S = 120.0
SPEAKER_NAME = "nur-eval speaker"
SPEAKER_PROMPT = "You read the user's lines aloud, word for word."


def recording_pcm(source: Path | bytes) -> bytes:
    """A WAV (path or bytes) as 16 kHz mono PCM16, ready to send as microphone audio."""
    samples, rate = read_wav(source)
    return float_to_pcm16(resample(samples, src_rate=rate, dst_rate=INPUT_RATE))


class Speaker:
    """Renders user lines with the server's voices (``client``: an ``AsyncNurClient``)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._agents: dict[tuple[str, str], str] = {}
        self._cache: dict[tuple[str, str, str], bytes] = {}
        self._lock = asyncio.Lock()

    async def render(self, text: str, *, voice_id: str, language: str) -> bytes:
        """``text`` spoken by ``voice_id``, as 16 kHz mono PCM16."""
        key = (text, voice_id, language)
        async with self._lock:
            if key not in self._cache:
                self._cache[key] = await self._speak(text, voice_id=voice_id, language=language)
            return self._cache[key]

    async def _speak(self, text: str, *, voice_id: str, language: str) -> bytes:
        agent_id = self._agents.get((voice_id, language))
        if agent_id is None:
            agent = await self._client.agents.create(
                name=SPEAKER_NAME,
                voice_id=voice_id,
                system_prompt=SPEAKER_PROMPT,
                language=language,
                max_turns=1,
            )
            agent_id = self._agents[(voice_id, language)] = str(agent.id)
        session = await self._client.agents.sessions.create(agent_id=agent_id, initial_message=text)
        pieces: list[bytes] = []
        rate = INPUT_RATE
        async with self._client.agents.sessions.connect(session) as conn:
            try:
                async with asyncio.timeout(RENDER_TIMEOUT_S):
                    async for event in conn:
                        if isinstance(event, ResponseAudio) and event.pcm:
                            rate = event.sample_rate
                            pieces.append(event.pcm)
                        elif event.type == "response.done":
                            break
                        elif event.type == "session.ended":
                            break
            finally:
                with contextlib.suppress(Exception):
                    await conn.end()
        if not pieces:
            raise RuntimeError(f"the server's voice {voice_id!r} rendered no audio for {text!r}")
        pcm = b"".join(pieces)
        return float_to_pcm16(resample(pcm16_to_float(pcm), src_rate=rate, dst_rate=INPUT_RATE))

    async def close(self) -> None:
        """Delete the speaker agents this renderer made."""
        for agent_id in self._agents.values():
            with contextlib.suppress(Exception):
                await self._client.agents.delete(agent_id)
        self._agents.clear()


__all__ = ["Speaker", "recording_pcm"]
