"""The speaker of one reply: real eSpeak NG speech, paced out; when it tells the session
that the reply is all synthesized (the brain then reads ahead to the next turn)."""

from __future__ import annotations

import asyncio

import pytest

from nur_notebook.server.pipeline.tts_espeak import EspeakTTS
from nur_notebook.server.realtime import machine_io as io
from nur_notebook.server.realtime.workers import Speaker


def _speaker(*, hold: bool, synthesized: list[int], sent: list[int]) -> Speaker:
    async def send_audio(chunk: bytes, generation: int, last: bool) -> None:
        sent.append(len(chunk))

    async def feed(item: io.Input) -> None:
        return None

    return Speaker(
        io.StartSpeaking(response_id="resp_1", generation=1, rate=16_000, hold=hold),
        tts=EspeakTTS.load(),
        voice_id="espeak_f",
        language="en",
        send_audio=send_audio,
        feed=feed,
        pool=None,
        lead_s=0.1,
        on_synthesized=lambda: synthesized.append(sum(sent)),
    )


async def test_the_session_hears_once_the_whole_reply_is_synthesized() -> None:
    synthesized: list[int] = []
    sent: list[int] = []
    speaker = _speaker(hold=False, synthesized=synthesized, sent=sent)
    speaker.say("Yes, we have a store in Berlin.")
    speaker.say("It opens at nine.")
    task = asyncio.create_task(speaker.run())
    await asyncio.sleep(0.3)
    assert synthesized == []  # the second sentence is still to come
    speaker.finish()
    await asyncio.wait_for(task, 20)
    assert len(synthesized) == 1
    # Told while the audio was still going out, not after it had all played.
    assert 0 < synthesized[0] < sum(sent)


@pytest.mark.parametrize("released", [False, True])
async def test_a_held_reply_tells_only_once_released(released: bool) -> None:
    synthesized: list[int] = []
    speaker = _speaker(hold=True, synthesized=synthesized, sent=[])
    speaker.say("Yes, we have a store in Berlin.")
    speaker.finish()
    speaker.task = asyncio.create_task(speaker.run())
    await asyncio.sleep(1.0)  # long enough to synthesize it
    assert synthesized == []
    if released:
        speaker.release()
        await asyncio.wait_for(speaker.task, 20)
        assert len(synthesized) == 1
    else:
        speaker.stop()  # the held turn was dropped: the user went on speaking
        with pytest.raises(asyncio.CancelledError):
            await speaker.task
        assert synthesized == []
