"""``judge`` checks: a language model reads the transcript and says PASS or FAIL.

Two brains can judge, both deterministic (temperature 0, or the local model's greedy
decoding): the Nur server's own, through a typed session with a judging agent (public API
only), or any OpenAI-compatible chat endpoint (``judge: {url, model, api_key_env}``).
Verdicts are cached by (criterion, transcript): the same conversation is judged once.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import Any, Protocol

import httpx

from nur_notebook.evals.model import JudgeConfig

JUDGE_PROMPT = (
    "You grade conversations between a user and a voice agent. You get a transcript and a "
    "criterion. Answer with one word, PASS if the agent's behaviour meets the criterion or "
    "FAIL if it does not, then a short reason."
)
JUDGE_TIMEOUT_S = 180.0
_VERDICT = re.compile(r"\b(PASS(?:ED)?|FAIL(?:ED)?|YES|NO)\b", re.IGNORECASE)


class Brain(Protocol):
    """Something that answers one prompt (under the judging instructions)."""

    async def ask(self, prompt: str) -> str: ...


def judge_prompt(criterion: str, transcript: str) -> str:
    """The question a judge is asked."""
    return f"Transcript:\n{transcript}\n\nCriterion: {criterion}\n\nPASS or FAIL?"


def parse_verdict(answer: str) -> tuple[bool, str]:
    """``(passed, detail)`` from a judge's answer; an answer with no verdict fails."""
    match = _VERDICT.search(answer)
    text = " ".join(answer.split())[:300]
    if match is None:
        return False, f"the judge gave no verdict: {text!r}"
    word = match.group(1).upper()
    return word.startswith(("PASS", "YES")), text


def transcript_text(turns: list[dict[str, Any]]) -> str:
    """The conversation as the judge reads it."""
    lines: list[str] = []
    for turn in turns:
        lines.append(f"User: {turn.get('transcribed') or turn.get('user') or ''}")
        for call in turn.get("tool_calls") or []:
            lines.append(
                f"[tool {call.get('name')}({call.get('arguments')}) -> {call.get('output')}]"
            )
        lines.append(f"Agent: {turn.get('reply') or ''}")
    return "\n".join(lines)


class Judge:
    """Judges criteria with ``brain``, caching each (criterion, transcript) verdict."""

    def __init__(self, brain: Brain) -> None:
        self._brain = brain
        self._verdicts: dict[tuple[str, str], tuple[bool, str]] = {}

    async def verdict(self, criterion: str, transcript: str) -> tuple[bool, str]:
        key = (criterion, transcript)
        if key not in self._verdicts:
            try:
                answer = await self._brain.ask(judge_prompt(criterion, transcript))
            except Exception as exc:  # a judge that cannot answer fails the check, visibly
                return False, f"the judge could not answer: {exc}"
            self._verdicts[key] = parse_verdict(answer)
        return self._verdicts[key]

    @property
    def cached(self) -> int:
        """How many verdicts are cached."""
        return len(self._verdicts)


class ChatEndpointBrain:
    """An OpenAI-compatible ``/chat/completions`` endpoint at temperature 0."""

    def __init__(self, config: JudgeConfig) -> None:
        if not config.url:
            raise ValueError("an endpoint judge needs a url")
        self._url = config.url.rstrip("/") + "/chat/completions"
        self._model = config.model or "default"
        key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def ask(self, prompt: str) -> str:
        body = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": JUDGE_PROMPT},
                {"role": "user", "content": prompt},
            ],
        }
        async with httpx.AsyncClient(timeout=JUDGE_TIMEOUT_S) as http:
            response = await http.post(self._url, json=body, headers=self._headers)
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"])


class ServerBrain:
    """The Nur server's own brain: a judging agent answers one typed turn per question."""

    def __init__(self, client: Any, *, voice_id: str, language: str = "en") -> None:
        self._client = client
        self._voice_id = voice_id
        self._language = language
        self._agent_id: str | None = None

    async def ask(self, prompt: str) -> str:
        if self._agent_id is None:
            agent = await self._client.agents.create(
                name="nur-eval judge",
                voice_id=self._voice_id,
                system_prompt=JUDGE_PROMPT,
                language=self._language,
                max_turns=2,
            )
            self._agent_id = str(agent.id)
        session = await self._client.agents.sessions.create(agent_id=self._agent_id)
        replies: list[str] = []
        async with self._client.agents.sessions.connect(session) as conn:
            try:
                await conn.send_text(prompt)
                async for event in conn:
                    if event.type == "transcript.agent.final":
                        replies.append(event.text)
                    elif event.type in ("response.done", "session.ended"):
                        break
            finally:
                with contextlib.suppress(Exception):
                    await conn.end()
        return " ".join(replies)

    async def close(self) -> None:
        if self._agent_id is not None:
            with contextlib.suppress(Exception):
                await self._client.agents.delete(self._agent_id)
            self._agent_id = None


__all__ = ["ChatEndpointBrain", "Judge", "ServerBrain", "parse_verdict", "transcript_text"]
