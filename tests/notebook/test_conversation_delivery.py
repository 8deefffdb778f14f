"""``Conversation.say`` over a slow link that keeps dying: no typed turn lost or doubled.

The notebook's path to the session (``say`` -> the kernel's session bridge -> the session
connection) runs through ``CuttingProxy`` (40 ms each way on loopback), cut 100 times: a
third of the cuts within 20 ms of a ``say``, the rest at random moments of the answer.
Every turn must be stored once, answered once, and measured once (``wait`` returns with
the turn's metrics).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from cutting_proxy import CuttingProxy, cut_while_answering, port_of

from nur_notebook.client import AsyncNurClient, NurClient
from nur_notebook.notebook.conversation import Conversation

if TYPE_CHECKING:
    from notebook_server import RunningServer

pytestmark = [pytest.mark.engines, pytest.mark.timeout(1800)]

ONE_WORD_PROMPT = "Answer every message with exactly one word, nothing else."
CUTS = 100
NEAR_SEND_S = 0.02


@pytest.fixture
def proxy(
    engines_server: RunningServer,
) -> Iterator[tuple[CuttingProxy, asyncio.AbstractEventLoop]]:
    """A cutting proxy in front of the server, on a loop of its own thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    made = CuttingProxy(target_port=port_of(engines_server.base_url), latency=0.04)
    asyncio.run_coroutine_threadsafe(made.__aenter__(), loop).result(10)
    yield made, loop
    asyncio.run_coroutine_threadsafe(made.__aexit__(None, None, None), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_a_hundred_cuts_lose_and_double_no_said_turn(
    engines_server: RunningServer, proxy: tuple[CuttingProxy, asyncio.AbstractEventLoop]
) -> None:
    cutter, loop = proxy
    rng = random.Random(7)
    with NurClient(api_key=engines_server.api_key, base_url=engines_server.base_url) as client:
        agent = client.agents.create(
            name="One word", voice_id="joe", system_prompt=ONE_WORD_PROMPT, max_turns=1000
        )
        session = client.agents.sessions.create(agent_id=agent.id)
        proxied = AsyncNurClient(
            api_key=engines_server.api_key, base_url=f"http://127.0.0.1:{cutter.port}"
        )
        conv = Conversation(
            session.session_id, client=proxied, agent={"id": agent.id, "version": 1}
        )

        def cut() -> int:
            return asyncio.run_coroutine_threadsafe(cutter.cut(), loop).result(10)

        # The session is open first (a conversation whose very first connect fails ends).
        asyncio.run_coroutine_threadsafe(cutter.greeted(), loop).result(120)
        texts: list[str] = []
        near_send = 0
        started = time.monotonic()
        try:
            while cutter.cuts < CUTS or near_send * 3 < CUTS:
                text = f"Message {len(texts) + 1}: name an animal."
                texts.append(text)
                conv.say(text)
                time.sleep(rng.uniform(0, NEAR_SEND_S))  # when to cut, not a wait
                near_send += cut()
                later: Any = asyncio.run_coroutine_threadsafe(
                    cut_while_answering(cutter, rng, cuts=2), loop
                )
                conv.wait(timeout=120)
                later.cancel()
                assert len(conv.metrics) == len(texts)  # wait() includes the turn's metrics
        finally:
            conv.end()
            asyncio.run_coroutine_threadsafe(proxied.close(), loop).result(10)
        stored = client.sessions.transcript(session.session_id)
    print(f"{cutter.cuts} cuts, {near_send} near a say, {len(texts)} turns,"
          f" {time.monotonic() - started:.1f} s")  # fmt: skip
    assert near_send * 3 >= CUTS
    users = [e for e in stored["entries"] if e["role"] == "user"]
    assert [e["text"] for e in users] == texts
    answers = [e for e in stored["entries"] if e["role"] == "agent"]
    assert sorted(e["turn"] for e in answers) == [e["turn"] for e in users]
    seen_users = [e["text"] for e in conv.transcript if e["role"] == "user"]
    assert seen_users == texts
    seen_answers = [e["text"] for e in conv.transcript if e["role"] == "agent"]
    assert seen_answers == [e["text"] for e in sorted(answers, key=lambda e: e["turn"])]
    assert [m["turn"] for m in conv.metrics] == [e["turn"] for e in users]
