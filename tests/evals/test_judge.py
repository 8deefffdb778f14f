"""Judge verdicts: parsing, the prompt, and the (criterion, transcript) cache."""

from __future__ import annotations

from nur_notebook.evals.judge import Judge, parse_verdict, transcript_text


class CountingBrain:
    """Stands in for the language model (outside what these tests are about)."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    async def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answer


def test_verdicts_are_parsed() -> None:
    assert parse_verdict("PASS - the agent asks for the number") == (
        True,
        "PASS - the agent asks for the number",
    )
    assert parse_verdict("Fail: it never asks.")[0] is False
    assert parse_verdict("yes")[0] is True
    passed, detail = parse_verdict("I am not sure")
    assert passed is False
    assert "no verdict" in detail


async def test_verdicts_are_cached_by_criterion_and_transcript() -> None:
    brain = CountingBrain("PASS")
    judge = Judge(brain)
    text = transcript_text(
        [{"user": "hi", "transcribed": "hi", "reply": "Hello!", "tool_calls": []}]
    )
    assert text == "User: hi\nAgent: Hello!"
    assert await judge.verdict("polite", text) == (True, "PASS")
    assert await judge.verdict("polite", text) == (True, "PASS")
    assert len(brain.prompts) == 1
    assert "Criterion: polite" in brain.prompts[0]
    await judge.verdict("brief", text)
    await judge.verdict("polite", text + "\nUser: bye")
    assert len(brain.prompts) == 3
    assert judge.cached == 3
