"""What a decode step of the local LLM costs by its width: replies decoding together.

    python3 bench/llm_steps.py [--widths 1,2,3,4,8] [--tokens 32] [--context 300]

Each of ``width`` sessions holds a conversation of ``--context`` tokens in its cache
(evaluated first, not timed); then all of them generate ``--tokens`` tokens at once, so
every step carries one token of each. Printed per width: milliseconds a step, tokens a
second in all, and the step's cost over a step of one reply. The ratio is what limits
sessions speaking at the same instant: four replies in unison wait ``ratio(4)`` times as
long for each token as one reply alone.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import psutil

from nur_notebook.server.pipeline.base import BrainRequest, Message
from nur_notebook.server.pipeline.brain_llama import LlamaBrain
from nur_notebook.server.pipeline.llama_batch import BatchEngine
from nur_notebook.server.pipeline.prompts import chat_messages

STORY = (
    "Tell me a long story about a lighthouse keeper who finds a message in a bottle, "
    "with every detail of the coast, the weather and the people of the village."
)


def _prompt(brain: LlamaBrain, n: int, context: int) -> list[int]:
    """A story request whose prompt is about ``context`` tokens (history padding it)."""
    system = f"You are storyteller number {n}."

    def tokens(history: list[Message]) -> list[int]:
        return brain.prompt_tokens(chat_messages(BrainRequest(system, [], "en", history)))

    history: list[Message] = []
    while len(tokens(history)) < context - 40:
        history += [Message("user", f"Question {len(history)}: {STORY}"), Message("agent", STORY)]
    return tokens([*history, Message("user", STORY)])


def run_width(engine: BatchEngine, prompts: list[list[int]], tokens: int) -> tuple[float, int]:
    """Generate ``tokens`` for each prompt at once: (seconds, decode steps)."""
    keys = [f"w{len(prompts)}-{i}" for i in range(len(prompts))]
    events = [engine.warm(p, key=k, share=False) for p, k in zip(prompts, keys, strict=True)]
    for event in events:
        assert event is not None
        event.wait()
    done = threading.Barrier(len(prompts) + 1)

    def reply(prompt: list[int], key: str) -> None:
        done.wait()
        for _ in engine.generate(prompt, key=key, max_tokens=tokens):
            pass

    threads = [
        threading.Thread(target=reply, args=(p, k)) for p, k in zip(prompts, keys, strict=True)
    ]
    for thread in threads:
        thread.start()
    steps = engine.steps
    done.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, engine.steps - steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="1,2,3,4,8")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--context", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2, help="runs per width (best is kept)")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    brain = LlamaBrain.load(slots=max(widths))
    engine = brain.engine
    prompts = [_prompt(brain, n, args.context) for n in range(max(widths))]
    print(f"load average {os.getloadavg()[0]:.2f}, {len(prompts[0])}-token conversations")
    print("| width | ms a step | tokens/s in all | step / step of 1 |")
    print("|------:|----------:|----------------:|-----------------:|")
    base = 0.0
    for width in widths:
        best = min(
            (run_width(engine, prompts[:width], args.tokens) for _ in range(args.repeat)),
            key=lambda r: r[0] / max(r[1], 1),
        )
        step_ms = 1000 * best[0] / max(best[1], 1)
        base = base or step_ms
        print(f"| {width} | {step_ms:.0f} | {width * 1000 / step_ms:.1f} | {step_ms / base:.2f}x |")
    print(f"peak RSS {psutil.Process().memory_info().rss / 1e9:.2f} GB")
    brain.close()


if __name__ == "__main__":
    main()
