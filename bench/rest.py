"""REST latency and throughput of the local Nur server, over loopback.

Starts ``nur-notebook serve --no-engines`` on a free port with a fresh data dir, then:

1. creates 1,000 agents one by one (``POST /v1/agents/create``): p50/p99 latency;
2. lists them (``GET /v1/agents``, limit 20 and 100 at offsets across all 1,000): p50/p99;
3. requests/s for list and for create with several concurrent clients.

Run: ``python3 bench/rest.py [--agents 1000] [--seconds 5] [--concurrency 8]``.
Figures come from the real server process and the real client, both on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from nur_notebook.client import AsyncNurClient, NurClient

SYSTEM_PROMPT = "You are a friendly customer support agent for an e-commerce store."
TOOLS = [
    {
        "name": "lookup_order",
        "description": "Look up order status by ID",
        "parameters": {"order_id": {"type": "string", "required": True}},
    }
]


@contextmanager
def served(data_dir: Path) -> Iterator[tuple[str, str]]:
    """The server as a child process: (base_url, api_key)."""
    command = [sys.executable, "-m", "nur_notebook", "serve", "--port", "0", "--no-engines"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("Nur server listening on "):
            raise RuntimeError(f"the server did not start: {line!r}")
        info = json.loads((data_dir / "server.json").read_text())
        yield info["base_url"], (data_dir / "api_key").read_text().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def percentiles(samples: list[float]) -> str:
    """``p50 / p99 / max`` in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:6.2f} ms   "
        f"p99 {p99 * 1000:6.2f} ms   max {ordered[-1] * 1000:6.2f} ms   (n={len(ordered)})"
    )


def timed(action: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


async def throughput(
    make: Callable[[AsyncNurClient], Awaitable[object]],
    client: AsyncNurClient,
    *,
    seconds: float,
    concurrency: int,
) -> float:
    """Completed requests per second with ``concurrency`` requests in flight."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await make(client)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


def run(agents: int, seconds: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp)) as (base_url, key):
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"server: {base_url} (uvicorn, one process)   client: NurClient, keep-alive")
        print(f"machine: {os.cpu_count()} cores, load average {load} before the run")
        with NurClient(key, base_url, max_retries=0) as client:
            for _ in range(20):  # warm up connections and caches
                client.voices.list()

            def create() -> None:
                client.agents.create(
                    name="Bench", voice_id="rachel_v2", system_prompt=SYSTEM_PROMPT, tools=TOOLS
                )

            print(f"create agent  x{agents}:           {percentiles(timed(create, agents))}")
            total = client.agents.list(limit=1).total
            assert total == agents, total
            rng = random.Random(7)
            for limit in (20, 100):

                def list_page(limit: int = limit) -> None:
                    page = client.agents.list(limit=limit, offset=rng.randrange(0, agents - limit))
                    assert len(page) == limit

                samples = timed(list_page, 500)
                print(f"list agents limit={limit:<3} (of {total}): {percentiles(samples)}")
            first = client.agents.list(limit=1)[0]
            samples = timed(lambda: client.agents.retrieve(first.id), 500)
            print(f"retrieve agent:               {percentiles(samples)}")

        async def measure() -> None:
            async with AsyncNurClient(key, base_url, max_retries=0) as nur:
                rps = await throughput(
                    lambda c: c.agents.list(limit=20),
                    nur,
                    seconds=seconds,
                    concurrency=concurrency,
                )
                print(f"list   limit=20, {concurrency} in flight:  {rps:7.0f} requests/s")
                rps = await throughput(
                    lambda c: c.agents.create(
                        name="Load", voice_id="rachel_v2", system_prompt=SYSTEM_PROMPT
                    ),
                    nur,
                    seconds=seconds,
                    concurrency=concurrency,
                )
                print(f"create,          {concurrency} in flight:  {rps:7.0f} requests/s")

        asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    run(args.agents, args.seconds, args.concurrency)


if __name__ == "__main__":
    main()
