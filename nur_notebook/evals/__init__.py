"""Evals: replay typed and spoken scenarios against agent versions, side by side.

    import nur_notebook.evals as evals

    result = evals.run("suite.yaml", variants=["v1", "v2"], repeat=3)
    print(result.matrix())
    result.save("eval-out")             # results.jsonl, summary.json, report.html
    result.assert_passes(min_rate=0.8)  # in pytest

The suite format is in docs/evals.md. A run talks to the Nur server only through its public
API: the client given, else the one ``%load_ext nur_notebook`` connected, else
``NUR_API_KEY`` / ``NUR_BASE_URL``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nur_notebook.evals.errors import EvalRunError, Problem, SuiteError
from nur_notebook.evals.model import Scenario, Suite
from nur_notebook.evals.result import ROW_FIELDS, TURN_FIELDS, EvalResult
from nur_notebook.evals.runner import Progress, pick_variants, run_suite
from nur_notebook.evals.suite import load_suite

_default: tuple[str, str] | None = None


def use_client(client: Any) -> None:
    """Make ``client``'s server the default of ``run`` (``%load_ext`` does this)."""
    global _default
    _default = (str(client.api_key), str(client.base_url))


def _credentials(client: Any) -> tuple[str, str]:
    if client is not None:
        return str(client.api_key), str(client.base_url)
    if os.environ.get("NUR_API_KEY", "").strip():
        from nur_notebook.client import NurClient

        found = NurClient()
        return str(found.api_key), str(found.base_url)
    if _default is not None:
        return _default
    raise EvalRunError(
        "no Nur server to run against: pass client=NurClient(...), set NUR_API_KEY "
        "(and NUR_BASE_URL), or run %load_ext nur_notebook first; `nur-notebook eval` "
        "starts the local server itself"
    )


def run(
    suite: Suite | str | Path | Mapping[str, Any],
    *,
    variants: Sequence[str] | str | None = None,
    repeat: int | None = None,
    client: Any = None,
    tools: Mapping[str, Callable[..., Any]] | None = None,
    agent_id: str | None = None,
    on_progress: Progress | None = None,
    concurrency: int = 1,
) -> EvalResult:
    """Run a suite (a :class:`Suite`, a YAML path or text, or a dict) and wait for it.

    ``variants`` picks variants by name (a list or ``"v1,v2"``), ``repeat`` overrides the
    suite's attempts per scenario x variant, ``tools`` answers tool calls with Python
    functions, ``agent_id`` tests an existing agent, ``concurrency`` runs that many
    attempts at once. Safe to call where an event loop
    runs already (Jupyter): the run gets a thread and a loop of its own.
    """
    loaded = (
        suite if isinstance(suite, Suite) else load_suite(suite, tools=tools, agent_id=agent_id)
    )
    if isinstance(variants, str):
        variants = [v.strip() for v in variants.split(",") if v.strip()]
    pick_variants(loaded, variants)  # a wrong name fails here, before the thread starts
    api_key, base_url = _credentials(client)
    outcome: dict[str, Any] = {}

    async def main() -> EvalResult:
        from nur_notebook.client import AsyncNurClient

        async_client = AsyncNurClient(api_key=api_key, base_url=base_url)
        try:
            return await run_suite(
                loaded,
                async_client,
                variants=variants,
                repeat=repeat,
                on_progress=on_progress,
                concurrency=concurrency,
            )
        finally:
            await async_client.close()

    def work() -> None:
        try:
            outcome["result"] = asyncio.run(main())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="nur-eval", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    result: EvalResult = outcome["result"]
    return result


__all__ = [
    "ROW_FIELDS",
    "TURN_FIELDS",
    "EvalResult",
    "EvalRunError",
    "Problem",
    "Scenario",
    "Suite",
    "SuiteError",
    "load_suite",
    "run",
    "run_suite",
    "use_client",
]
