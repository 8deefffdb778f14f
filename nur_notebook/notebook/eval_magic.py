"""``%%nur_eval`` and ``%nur eval SUITE.yaml``: run a suite from the notebook, live.

    %%nur_eval --repeat 3 --as results
    agent: {name: Order Desk}
    scenarios:
      - name: order status
        turns: [{user: "Where is my order 447?", expect: {tool_call: {name: lookup_order}}}]

By default the variants are this kernel's versions of the agent the suite names (each
``%%nur_agent`` run is one: ``v1``, ``v2``, ...), unless the suite lists ``variants:``. The
run goes on in a thread while the matrix widget fills in; ``VAR`` (default ``eval_run``)
is an :class:`EvalRun`, whose ``wait()`` returns the ``EvalResult``.
"""

from __future__ import annotations

import argparse
import shlex
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from IPython.core.error import UsageError

from nur_notebook.evals import EvalResult, EvalRunError, Suite, SuiteError, load_suite, run
from nur_notebook.evals.runner import pick_variants
from nur_notebook.evals.yaml_source import load_yaml

DEFAULT_VAR = "eval_run"
USAGE = """\
%%nur_eval [--repeat N] [--variants v1,v2] [--scenarios VAR,...] [--as VAR] [--wait]
<the suite, as YAML (docs/evals.md)>

%nur eval SUITE.yaml [the same options]

Runs the suite while a matrix below the cell fills in (scenarios x variants). Without
variants: in the suite, the variants are this kernel's versions of the suite's agent.
--scenarios adds scenarios from variables (e.g. made by conv.to_scenario()). --wait blocks
until the run is done. VAR (default eval_run) holds the run: VAR.wait() -> the result."""


@dataclass(frozen=True)
class EvalOptions:
    repeat: int | None
    variants: list[str] | None
    scenarios: list[str]
    var: str
    wait: bool


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%%nur_eval: {message}\n\n{USAGE}")


def parse_options(words: list[str]) -> EvalOptions:
    """The options of ``%%nur_eval`` / ``%nur eval`` (a ``UsageError`` when wrong)."""
    parser = _Parser(prog="%%nur_eval", add_help=False, allow_abbrev=False)
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--variants")
    parser.add_argument("--scenarios", default="")
    parser.add_argument("--as", dest="var", default=DEFAULT_VAR)
    parser.add_argument("--wait", action="store_true")
    args = parser.parse_args(words)
    if args.repeat is not None and args.repeat < 1:
        raise UsageError("%%nur_eval: --repeat must be at least 1")
    if not args.var.isidentifier():
        raise UsageError(f"%%nur_eval: --as takes a Python name, got {args.var!r}")
    variants = [v.strip() for v in (args.variants or "").split(",") if v.strip()] or None
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    return EvalOptions(args.repeat, variants, scenarios, args.var, args.wait)


def split_line(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%%nur_eval: cannot read the options ({exc})") from None


def kernel_variants(versions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{"v1": agent fields, ...}`` from the kernel's versions of one agent."""
    variants: dict[str, dict[str, Any]] = {}
    for item in versions:
        fields = {
            k: item[k]
            for k in ("system_prompt", "voice_id", "language", "max_turns", "initial_message")
            if item.get(k) is not None
        }
        if item.get("tools"):
            fields["tools"] = list(item["tools"])
        variants[f"v{item['version']}"] = fields
    return variants


def build_suite(
    text: str,
    options: EvalOptions,
    *,
    namespace: Mapping[str, Any],
    versions: Mapping[str, list[dict[str, Any]]],
    source: Path | None = None,
) -> Suite:
    """The checked suite of a cell body (or file), with the kernel's versions as default
    variants and ``--scenarios`` added; every problem is a ``UsageError``."""
    data, _lines = _yaml(text)
    name = (data.get("agent") or {}).get("name") if isinstance(data, dict) else None
    mine = versions.get(name, []) if isinstance(name, str) else []
    defaults = kernel_variants(mine) if mine else None
    extra: list[Any] = []
    for var in options.scenarios:
        if var not in namespace:
            raise UsageError(f"%%nur_eval: --scenarios: no variable {var!r}")
        value = namespace[var]
        extra.extend(value if isinstance(value, list) else [value])
    try:
        if extra:
            data = dict(data)
            data["scenarios"] = [*(data.get("scenarios") or []), *extra]
            base = source.parent if source is not None else None
            suite = load_suite(data, default_variants=defaults, base_dir=base)
        else:
            suite = load_suite(source if source is not None else text, default_variants=defaults)
        pick_variants(suite, options.variants)
    except SuiteError as exc:
        raise UsageError(f"%%nur_eval: {exc}") from None
    return suite


def _yaml(text: str) -> tuple[Any, Any]:
    try:
        data, lines = load_yaml(text)
    except SuiteError as exc:
        raise UsageError(f"%%nur_eval: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError("%%nur_eval: the cell body must be a suite (a YAML mapping)")
    return data, lines


class EvalRun:
    """A suite running in the background, with its live matrix widget."""

    def __init__(self, suite: Suite, *, client: Any, options: EvalOptions, widget: Any) -> None:
        self.suite = suite
        self.widget = widget
        self._result: EvalResult | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._display: Any = None
        self._thread = threading.Thread(
            target=self._work, args=(client, options), name="nur-eval-cell", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _work(self, client: Any, options: EvalOptions) -> None:
        try:
            self._result = run(
                self.suite,
                variants=options.variants,
                repeat=options.repeat,
                client=client,
                on_progress=self._progress,
            )
            if self.widget is not None:
                self.widget.finish()
        except BaseException as exc:  # shown in the widget, raised by wait()
            self._error = exc
            if self.widget is not None:
                self.widget.finish(error=str(exc))
        finally:
            self._done.set()
            if self._display is not None:
                self._display.update(self)

    def _progress(self, event: dict[str, Any]) -> None:
        if self.widget is None:
            return
        if event["type"] == "started":
            variants, scenarios = event["variants"], event["scenarios"]
            self.widget.begin(scenarios=scenarios, variants=variants, total=event["total"])
        elif event["type"] == "row":
            self.widget.add_row(event["row"], event.get("audio") or [])

    @property
    def done(self) -> bool:
        """Whether every attempt has finished (or the run failed)."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> EvalResult:
        """Block until the run is over; its result (or the error that stopped it)."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"the eval run is still going after {timeout} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    # The result's surface, waiting first.
    @property
    def summary(self) -> dict[str, Any]:
        return self.wait().summary

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.wait().rows

    def to_html(self, *, audio: bool = True) -> str:
        return self.wait().to_html(audio=audio)

    def save(self, directory: str | Path) -> Path:
        return self.wait().save(directory)

    def assert_passes(self, min_rate: float = 1.0) -> None:
        self.wait().assert_passes(min_rate=min_rate)

    def _matrix_html(self) -> str:
        from nur_notebook.evals.report import matrix_html
        from nur_notebook.evals.summary import summarize

        if self._result is not None:
            return self._result._repr_html_()
        rows = list(self.widget.rows) if self.widget is not None else []
        names = self.suite.variant_names() if self.widget is None else list(self.widget.variants)
        scenarios = [s.name for s in self.suite.scenarios]
        summary = summarize(rows, suite=self.suite.name, scenarios=scenarios, variants=names)
        note = "" if self._error is None else f"<p>stopped: {self._error}</p>"
        return matrix_html(summary) + note

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        if self.widget is not None:
            shown = self.widget._repr_mimebundle_(**kwargs)
            if isinstance(shown, tuple):
                bundle.update(shown[0] or {})
                metadata.update(shown[1] or {})
            elif isinstance(shown, dict):
                bundle.update(shown)
        bundle["text/html"] = self._matrix_html()
        bundle["text/plain"] = repr(self)
        return bundle, metadata

    def __repr__(self) -> str:
        if self._result is not None:
            return self._result.matrix()
        state = "failed" if self._error is not None else "running"
        return f"<EvalRun {self.suite.name!r}: {state}>"

    def show(self) -> None:
        from IPython import display as ipython_display

        display: Callable[..., Any] = ipython_display.display
        self._display = display(self, display_id=True)


def start_eval(suite: Suite, *, client: Any, options: EvalOptions, widget: bool = True) -> EvalRun:
    """Show the matrix and start the run (``--wait``: until it is over)."""
    matrix = None
    if widget:
        from nur_notebook.notebook.eval_widget import EvalMatrixWidget

        matrix = EvalMatrixWidget(suite=suite.name)
        names = pick_variants(suite, options.variants)
        rounds = options.repeat or suite.repeat
        matrix.begin(
            scenarios=[s.name for s in suite.scenarios],
            variants=names,
            total=rounds * len(names) * len(suite.scenarios),
        )
    running = EvalRun(suite, client=client, options=options, widget=matrix)
    running.show()
    running.start()
    if options.wait:
        try:
            running.wait()
        except (SuiteError, EvalRunError) as exc:
            raise UsageError(f"%%nur_eval: {exc}") from None
    return running


__all__ = ["USAGE", "EvalOptions", "EvalRun", "build_suite", "parse_options", "start_eval"]
