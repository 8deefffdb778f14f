"""Running a suite against a Nur server through its public API.

Each variant becomes an agent (the suite's agent with the variant's fields); every attempt
is a new session of that agent, so nothing the agent said is carried between attempts.
Spoken turns are rendered once per run by the server's voices (``speech.Speaker``) and
sent as microphone audio; attempts go scenario by scenario within each round of
``repeat``, so every cell of the matrix gets its first result early. Agents the run made
are deleted at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from nur_notebook.evals.checks import check, check_turn
from nur_notebook.evals.driver import Attempt, PlannedTurn, run_attempt
from nur_notebook.evals.errors import EvalRunError, Problem, SuiteError
from nur_notebook.evals.judge import ChatEndpointBrain, Judge, ServerBrain, transcript_text
from nur_notebook.evals.model import Scenario, Suite
from nur_notebook.evals.result import EvalResult
from nur_notebook.evals.speech import Speaker, recording_pcm

DEFAULT_VOICE = "rachel_v2"
Progress = Callable[[dict[str, Any]], None]


def pick_variants(suite: Suite, requested: Sequence[str] | None) -> list[str]:
    """The variants to run, in order; ``SuiteError`` for a name the suite lacks."""
    known = suite.variant_names()
    if not requested:
        return known
    unknown = [name for name in requested if name not in known]
    if unknown:
        listed = ", ".join(known)
        raise SuiteError(
            [
                Problem("variants", f"no variant {name!r} in the suite; it has: {listed}")
                for name in unknown
            ]
        )
    return list(dict.fromkeys(requested))


async def run_suite(
    suite: Suite,
    client: Any,
    *,
    variants: Sequence[str] | None = None,
    repeat: int | None = None,
    on_progress: Progress | None = None,
    concurrency: int = 1,
) -> EvalResult:
    """Run ``suite`` with ``client`` (an ``AsyncNurClient``); ``on_progress`` hears
    ``started``, each ``row`` and ``done``. ``concurrency`` attempts of a round run at once
    (each its own session; the server batches them, latencies grow)."""
    from nur_notebook.client import NurError

    names = pick_variants(suite, variants)
    rounds = suite.repeat if repeat is None else repeat
    if rounds < 1:
        raise SuiteError([Problem("repeat", "must be at least 1")])
    report = on_progress or (lambda _event: None)
    result = EvalResult(suite.name, scenarios=[s.name for s in suite.scenarios], variants=names)
    made: list[str] = []
    speaker = Speaker(client)
    brain: ServerBrain | None = None
    try:
        try:
            base = await _base_agent(suite, client)
            voices = [v.voice_id for v in await client.voices.list()]
            agents = {v: await _agent(suite, v, base, client, voices, made) for v in names}
            inputs = {s.name: await _inputs(s, speaker, agents[names[0]]) for s in suite.scenarios}
        except NurError as exc:
            raise EvalRunError(f"the Nur API at {_where(client)}: {exc}") from None
        judge = None
        if suite.has_judge():
            if suite.judge.url:
                judge = Judge(ChatEndpointBrain(suite.judge))
            else:
                first = agents[names[0]]
                brain = ServerBrain(client, voice_id=first["voice_id"], language=first["language"])
                judge = Judge(brain)
        total = rounds * len(suite.scenarios) * len(names)
        report(
            {"type": "started", "total": total, "variants": names, "scenarios": result.scenarios}
        )
        functions = {name: answer.as_function() for name, answer in suite.tools.items()}
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(attempt: int, scenario: Scenario, variant: str) -> None:
            agent = agents[variant]
            async with gate:
                try:
                    outcome = await run_attempt(
                        client,
                        agent_id=agent["id"],
                        turns=inputs[scenario.name],
                        tools=functions,
                        initial_message=agent.get("initial_message"),
                    )
                except NurError as exc:
                    outcome = Attempt(session_id="", error=f"the Nur API: {exc}")
                row = await _row(suite, scenario, variant, attempt, outcome, judge)
            result.add(row, outcome.audio)
            index = len(result.rows) - 1
            event = {"type": "row", "row": row, "index": index, "total": total}
            report({**event, "audio": outcome.audio})

        for attempt in range(1, rounds + 1):
            await asyncio.gather(*(one(attempt, s, v) for s in suite.scenarios for v in names))
        report({"type": "done", "summary": result.summary})
        return result
    finally:
        await speaker.close()
        if brain is not None:
            await brain.close()
        for agent_id in made:
            with contextlib.suppress(Exception):
                await client.agents.delete(agent_id)


async def _base_agent(suite: Suite, client: Any) -> dict[str, Any]:
    if suite.agent_id is None:
        return {}
    agent = await client.agents.retrieve(suite.agent_id)
    return {
        "id": agent.id,
        "name": agent.name,
        "voice_id": agent.voice_id,
        "system_prompt": agent.system_prompt,
        "language": agent.language,
        "tools": [t.model_dump() for t in agent.tools],
        "max_turns": agent.max_turns,
    }


async def _agent(
    suite: Suite,
    variant: str,
    base: dict[str, Any],
    client: Any,
    voices: list[str],
    made: list[str],
) -> dict[str, Any]:
    """The variant's agent on the server (made for this run unless it is ``--agent``)."""
    overrides = suite.agent_for(variant)
    fields = {**{k: v for k, v in base.items() if k != "id"}, **overrides}
    if not fields.get("voice_id"):
        fields["voice_id"] = DEFAULT_VOICE if DEFAULT_VOICE in voices or not voices else voices[0]
    fields.setdefault("language", "en")
    fields.setdefault("name", suite.name)
    tools = [dict(getattr(t, "definition", t)) for t in fields.get("tools") or []]
    if base and not overrides:
        return {**fields, "id": base["id"], "tools": tools}
    arguments: dict[str, Any] = {
        "name": fields["name"],
        "voice_id": fields["voice_id"],
        "system_prompt": fields["system_prompt"],
        "language": fields["language"],
        "tools": tools or None,
    }
    if fields.get("max_turns") is not None:
        arguments["max_turns"] = fields["max_turns"]
    try:
        agent = await client.agents.create(**arguments)
    except Exception as exc:
        raise EvalRunError(f"variant {variant!r}: the server refused the agent: {exc}") from None
    made.append(str(agent.id))
    return {**fields, "id": str(agent.id), "tools": tools}


async def _inputs(scenario: Scenario, speaker: Speaker, agent: dict[str, Any]) -> list[PlannedTurn]:
    """What each turn sends: typed text, rendered speech or a recording."""
    planned: list[PlannedTurn] = []
    for turn in scenario.turns:
        if scenario.mode == "text":
            planned.append(PlannedTurn(user=turn.user, text=turn.user))
        elif scenario.mode == "spoken":
            voice = scenario.voice or agent["voice_id"]
            try:
                pcm = await speaker.render(
                    str(turn.user), voice_id=voice, language=agent["language"]
                )
            except RuntimeError as exc:
                raise EvalRunError(f"scenario {scenario.name!r}: {exc}") from None
            planned.append(PlannedTurn(user=turn.user, pcm=pcm))
        else:
            assert turn.audio is not None  # checked by the suite loader
            try:
                pcm = recording_pcm(turn.audio)
            except ValueError as exc:
                raise EvalRunError(f"scenario {scenario.name!r}: {exc}") from None
            planned.append(PlannedTurn(user=turn.user, pcm=pcm))
    return planned


async def _row(
    suite: Suite,
    scenario: Scenario,
    variant: str,
    attempt: int,
    outcome: Attempt,
    judge: Judge | None,
) -> dict[str, Any]:
    checks: list[dict[str, Any]] = []
    for number, turn in enumerate(outcome.turns, start=1):
        checks.extend(check_turn(number, turn, scenario.turns[number - 1].expect))
    if len(outcome.turns) < len(scenario.turns):
        number = len(outcome.turns) + 1
        checks.append(check(f"turn {number} answered", False, outcome.error or "no answer"))
    deterministic_ok = all(c["passed"] for c in checks)
    for number in range(1, len(outcome.turns) + 1):
        for criterion in scenario.turns[number - 1].expect.judge:
            name = f'turn {number} judge "{criterion}"'
            if judge is None or not deterministic_ok:
                checks.append(check(name, False, "not judged: a deterministic check failed first"))
                continue
            passed, detail = await judge.verdict(criterion, transcript_text(outcome.turns[:number]))
            checks.append(check(name, passed, detail))
    return {
        "suite": suite.name,
        "scenario": scenario.name,
        "variant": variant,
        "attempt": attempt,
        "passed": all(c["passed"] for c in checks) and len(outcome.turns) == len(scenario.turns),
        "checks": checks,
        "turns": outcome.turns,
        "session_id": outcome.session_id,
    }


def _where(client: Any) -> str:
    return str(getattr(client, "base_url", "?"))


__all__ = ["pick_variants", "run_suite"]
