"""Waiting on a session's event stream: a condition met, the session over first, no news."""

from __future__ import annotations

import asyncio

import pytest

from nur_notebook.realtime.watch import EndedEarly, StreamWatch


async def test_until_returns_once_an_event_makes_the_condition_true() -> None:
    watch = StreamWatch()
    turns: list[int] = []

    async def reader() -> None:
        for turn in (1, 2):
            await asyncio.sleep(0)
            turns.append(turn)
            watch.changed.set()

    task = asyncio.create_task(reader())
    await watch.until(lambda: 2 in turns, within=5.0)
    assert turns == [1, 2]
    await task


async def test_a_condition_already_true_does_not_wait() -> None:
    await StreamWatch().until(lambda: True, within=0.0)


async def test_the_session_ending_first_is_ended_early_with_its_reason_kept() -> None:
    watch = StreamWatch()

    async def reader() -> None:
        await asyncio.sleep(0)
        watch.ended = "max_turns"  # the session said why it ended ...
        watch.finish("closed")  # ... so the socket closing after does not overwrite it

    task = asyncio.create_task(reader())
    with pytest.raises(EndedEarly):
        await watch.until(lambda: False, within=5.0)
    assert watch.ended == "max_turns"
    await task


async def test_a_stream_that_just_stops_ends_with_the_reason_given() -> None:
    watch = StreamWatch()
    watch.finish("error")
    assert watch.ended == "error"
    assert watch.changed.is_set()
    with pytest.raises(EndedEarly):
        await watch.until(lambda: False, within=5.0)


async def test_no_news_times_out() -> None:
    with pytest.raises(TimeoutError):
        await StreamWatch().until(lambda: False, within=0.05)
