"""Typed turns over a slow link that keeps dying: none lost, none doubled.

The session socket runs through ``CuttingProxy`` (40 ms each way on loopback) and the test
cuts it 100 times: a third of the cuts come within 20 ms of a send (the event is on its
way when the link dies), the rest at random moments of the answer. Every typed turn must
be stored once and answered once, and the deltas the client saw must join to their
finals. A client of the protocol before acknowledgements (``resend=False``) loses turns
through the same proxy.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from cutting_proxy import CuttingProxy, check_nothing_lost_or_doubled, cut_while_answering, port_of
from session_server import Server

from nur_notebook.client import AsyncNurClient
from nur_notebook.realtime import AsyncSessionConnection

pytestmark = [pytest.mark.engines, pytest.mark.timeout(1800)]

#: Short answers keep 30-odd turns quick on a slow CPU.
ONE_WORD_PROMPT = "Answer every message with exactly one word, nothing else."
LATENCY_S = 0.04
CUTS = 100
NEAR_SEND_S = 0.02  # a third of the cuts: this soon after a send
TURN_TIMEOUT = 120.0


async def _one_word_session(client: AsyncNurClient) -> Any:
    agent = await client.agents.create(
        name="One word", voice_id="joe", system_prompt=ONE_WORD_PROMPT, max_turns=1000
    )
    return await client.agents.sessions.create(agent_id=agent.id)


@asynccontextmanager
async def _cut_link(
    server: Server,
) -> AsyncIterator[tuple[AsyncNurClient, CuttingProxy, Any, AsyncNurClient]]:
    """A one-word session and two clients: one straight to the server, one whose link runs
    through a ``CuttingProxy``. Yields (client, proxy, session, proxied client)."""
    async with (
        server.client() as client,
        CuttingProxy(target_port=port_of(server.base_url), latency=LATENCY_S) as proxy,
    ):
        session = await _one_word_session(client)
        proxied = AsyncNurClient(api_key=server.api_key, base_url=f"http://127.0.0.1:{proxy.port}")
        yield client, proxy, session, proxied


async def _until_done(conn: AsyncSessionConnection, text: str, seen: list[Any]) -> int:
    """Read events into ``seen`` until the turn of the user's ``text`` is done; its number."""
    turn: int | None = None
    async with asyncio.timeout(TURN_TIMEOUT):
        async for event in conn:
            seen.append(event)
            if event.type == "transcript.user.final" and event.text == text:
                turn = event.turn
            if event.type == "metrics.turn" and turn is not None and event.turn == turn:
                return turn
    raise AssertionError(f"the session ended before the answer to {text!r}")


async def test_a_hundred_cuts_lose_and_double_no_typed_turn(server: Server) -> None:
    rng = random.Random(9)
    async with _cut_link(server) as (client, proxy, session, proxied):
        texts: list[str] = []
        seen: list[Any] = []
        near_send = 0
        started = time.monotonic()
        async with proxied, proxied.agents.sessions.connect(session.session_id) as conn:
            while proxy.cuts < CUTS or near_send * 3 < CUTS:
                text = f"Message {len(texts) + 1}: name a colour."
                texts.append(text)
                await conn.send_text(text)
                await asyncio.sleep(rng.uniform(0, NEAR_SEND_S))
                near_send += await proxy.cut()
                cutter = asyncio.create_task(cut_while_answering(proxy, rng, cuts=2))
                await _until_done(conn, text, seen)
                cutter.cancel()
            assert conn.unacknowledged == 0
        stored = await client.sessions.transcript(session.session_id)
    elapsed = time.monotonic() - started
    print(f"{proxy.cuts} cuts, {near_send} near a send, {len(texts)} turns, {elapsed:.1f} s")
    assert near_send * 3 >= CUTS
    check_nothing_lost_or_doubled(texts, seen, stored)


async def test_without_resending_a_turn_in_flight_is_lost(server: Server) -> None:
    async with _cut_link(server) as (client, proxy, session, proxied):
        seen: list[Any] = []
        async with (
            proxied,
            proxied.agents.sessions.connect(session.session_id, resend=False) as conn,
        ):
            lost = [f"Message {n}: name a fruit." for n in (1, 2, 3)]
            for text in lost:
                await conn.send_text(text)  # returns: the frame is on its way
                await asyncio.sleep(0.005)
                assert await proxy.cut() == 1  # ... and dies with the link
                async with asyncio.timeout(TURN_TIMEOUT):
                    async for event in conn:
                        if event.type == "connection.resumed":
                            break
            await conn.send_text("Last message: name a tree.")
            await _until_done(conn, "Last message: name a tree.", seen)
        stored = await client.sessions.transcript(session.session_id)
    heard = [e["text"] for e in stored["entries"] if e["role"] == "user"]
    assert heard == ["Last message: name a tree."]
