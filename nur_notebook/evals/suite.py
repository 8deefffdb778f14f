"""Loading and checking a suite: YAML text, a YAML file, or the same structure as dicts.

Every mistake is collected (unknown keys and tools, bad modes, regular expressions that do
not compile, missing recordings) and raised together as one ``SuiteError`` naming each
field and, for YAML, its line, before anything talks to a server.

    >>> suite = load_suite({"agent": {"name": "Desk", "system_prompt": "Be brief."},
    ...                     "scenarios": [{"name": "hi", "turns": [{"user": "Hello"}]}]})
    >>> suite.scenarios[0].turns[0].user
    'Hello'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path as FilePath
from typing import Any

from nur_notebook.evals.errors import Problem, SuiteError
from nur_notebook.evals.fields import FieldChecks, kind
from nur_notebook.evals.model import (
    AGENT_FIELDS,
    MODES,
    JudgeConfig,
    Scenario,
    Suite,
    ToolAnswer,
    Turn,
)
from nur_notebook.evals.yaml_source import Lines, Path, load_yaml

SUITE_KEYS = ("name", "agent", "variants", "tools", "repeat", "scenarios", "judge", "mode", "voice")
SCENARIO_KEYS = ("name", "mode", "voice", "turns")
TURN_KEYS = ("user", "audio", "expect")
MAX_REPEAT = 100


def load_suite(
    source: str | FilePath | Mapping[str, Any],
    *,
    tools: Mapping[str, Callable[..., Any]] | None = None,
    agent_id: str | None = None,
    base_dir: str | FilePath | None = None,
    default_variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> Suite:
    """A checked :class:`Suite` from a YAML path, YAML text or a dict.

    ``tools`` answers tool calls with Python functions (beside the suite's ``tools:``);
    ``agent_id`` makes an existing agent the base, so ``agent:`` may be left out;
    ``default_variants`` are the variants of a suite that names none (in a notebook: the
    kernel's versions of the agent).
    """
    name, data, lines, where, folder = _read(source)
    checker = _Checker(lines, where, folder if base_dir is None else FilePath(base_dir))
    suite = checker.suite(
        data,
        default_name=name,
        functions=tools or {},
        agent_id=agent_id,
        default_variants=default_variants,
    )
    if checker.problems or suite is None:
        raise SuiteError(sorted(checker.problems, key=lambda p: p.line or 0))
    return suite


def _read(
    source: str | FilePath | Mapping[str, Any],
) -> tuple[str, Any, Lines, str | None, FilePath]:
    if isinstance(source, Mapping):
        return "suite", dict(source), {}, None, FilePath.cwd()
    if isinstance(source, FilePath) or (
        "\n" not in source and source.strip().endswith((".yaml", ".yml"))
    ):
        path = FilePath(source).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SuiteError(
                [Problem("", f"cannot read the suite: {exc.strerror or exc}")]
            ) from None
        data, lines = load_yaml(text, source=path.name)
        return path.stem, data, lines, path.name, path.resolve().parent
    data, lines = load_yaml(source)
    return "suite", data, lines, None, FilePath.cwd()


class _Checker(FieldChecks):
    """Builds the suite, collecting problems instead of stopping at the first."""

    # --- the suite ----------------------------------------------------------------------

    def suite(
        self,
        data: Any,
        *,
        default_name: str,
        functions: Mapping[str, Callable[..., Any]],
        agent_id: str | None,
        default_variants: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Suite | None:
        top = self.mapping(data, (), "a mapping with agent, scenarios, ...")
        if top is None:
            return None
        self.keys(top, SUITE_KEYS, ())
        agent = self.agent(top.get("agent"), required=agent_id is None)
        variants = self.variants(top.get("variants", default_variants))
        tool_names = self.tool_names(agent, variants)
        # With --agent and no tools in the suite, the tools are the server's: unknown here.
        self.any_tool = agent_id is not None and not tool_names
        answers = self.answers(top.get("tools"), tool_names, functions, agent, variants)
        repeat = top.get("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            self.bad(("repeat",), f"must be a whole number from 1 to {MAX_REPEAT}")
            repeat = 1
        mode = top.get("mode", "text")
        if mode not in MODES:
            self.bad(("mode",), f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        voice = top.get("voice")
        if voice is not None and not isinstance(voice, str):
            self.bad(("voice",), "must be a voice id")
        scenarios = self.scenarios(top.get("scenarios"), tool_names, mode, voice)
        if agent_id is None:
            names: list[str | None] = [*variants] or [None]
            for variant in names:
                fields = {**agent, **variants.get(variant or "", {})}
                if not str(fields.get("system_prompt") or "").strip():
                    path: Path = ("variants", variant) if variant else ("agent",)
                    self.bad(path, "the agent needs a system_prompt")
        if default_name == "suite" and isinstance(agent.get("name"), str):
            default_name = agent["name"]  # text or dict suites: named after their agent
        name = top.get("name", default_name)
        if not isinstance(name, str) or not name.strip():
            self.bad(("name",), "must be a non-empty string")
            name = default_name
        return Suite(
            name=name,
            agent=agent,
            scenarios=tuple(scenarios),
            variants=variants,
            tools=answers,
            repeat=repeat,
            judge=self.judge(top.get("judge")),
            agent_id=agent_id,
        )

    def agent(self, value: Any, *, required: bool) -> dict[str, Any]:
        if value is None:
            if required:
                self.bad(("agent",), "is required (or run with --agent AGENT_ID)")
            return {}
        fields = self.mapping(value, ("agent",), "a mapping of agent fields")
        if fields is None:
            return {}
        return self.agent_fields(fields, ("agent",))

    def agent_fields(self, fields: dict[str, Any], path: Path) -> dict[str, Any]:
        self.keys(fields, AGENT_FIELDS, path)
        for key in ("name", "voice_id", "language", "system_prompt", "initial_message"):
            if key in fields and not isinstance(fields[key], str):
                self.bad((*path, key), f"must be a string, got {kind(fields[key])}")
        turns = fields.get("max_turns")
        if turns is not None and (isinstance(turns, bool) or not isinstance(turns, int)):
            self.bad((*path, "max_turns"), "must be a whole number")
        if "tools" in fields:
            fields["tools"] = self.tool_definitions(fields["tools"], (*path, "tools"))
        return {k: v for k, v in fields.items() if k in AGENT_FIELDS}

    def tool_definitions(self, value: Any, path: Path) -> list[Any]:
        if not isinstance(value, list | tuple):
            self.bad(path, "must be a list of tool definitions")
            return []
        tools: list[Any] = []
        for index, item in enumerate(value):
            definition = getattr(item, "definition", item)  # an @nur_notebook.tool function
            if not isinstance(definition, Mapping) or not isinstance(definition.get("name"), str):
                self.bad((*path, index), "must be a tool definition with a name")
                continue
            tools.append(item)
        return tools

    def variants(self, value: Any) -> dict[str, dict[str, Any]]:
        if value is None:
            return {}
        table = self.mapping(value, ("variants",), "a mapping of variant names to agent fields")
        variants: dict[str, dict[str, Any]] = {}
        for name, fields in (table or {}).items():
            path: Path = ("variants", name)
            if not name.strip() or "," in name:
                self.bad(path, "a variant name must be non-empty and have no comma")
            checked = self.mapping({} if fields is None else fields, path, "a mapping")
            variants[name] = self.agent_fields(checked, path) if checked is not None else {}
        return variants

    def tool_names(
        self, agent: Mapping[str, Any], variants: Mapping[str, Mapping[str, Any]]
    ) -> set[str]:
        names: set[str] = set()
        for fields in [agent, *variants.values()]:
            for tool in fields.get("tools") or []:
                names.add(str(getattr(tool, "definition", tool)["name"]))
        return names

    def answers(
        self,
        value: Any,
        tool_names: set[str],
        functions: Mapping[str, Callable[..., Any]],
        agent: Mapping[str, Any],
        variants: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, ToolAnswer]:
        answers: dict[str, ToolAnswer] = {}
        for fields in [agent, *variants.values()]:  # @tool functions answer for themselves
            for tool in fields.get("tools") or []:
                if callable(tool) and hasattr(tool, "definition"):
                    function = getattr(tool, "call_from_agent", tool)  # JSON arguments in
                    answers[str(tool.definition["name"])] = ToolAnswer(function=function)
        table = {} if value is None else self.mapping(value, ("tools",), "a mapping")
        known = ", ".join(sorted(tool_names)) or "none"
        for name, spec in (table or {}).items():
            path: Path = ("tools", name)
            if name not in tool_names and not self.any_tool:
                self.bad(path, f"unknown tool {name!r}; the agent's tools: {known}")
                continue
            if callable(spec):
                answers[name] = ToolAnswer(function=spec)
                continue
            given = self.mapping(spec, path, "{returns: VALUE}, {error: MESSAGE} or a function")
            if given is None:
                continue
            fields = given
            self.keys(fields, ("returns", "error"), path)
            if ("returns" in fields) == ("error" in fields):
                self.bad(path, "give exactly one of returns or error")
            elif "error" in fields and not isinstance(fields["error"], str):
                self.bad((*path, "error"), "must be the error message")
            else:
                answers[name] = ToolAnswer(returns=fields.get("returns"), error=fields.get("error"))
        # Functions given to load_suite (the notebook's) win over the suite's answers.
        answers.update({name: ToolAnswer(function=fn) for name, fn in functions.items()})
        return answers

    def judge(self, value: Any) -> JudgeConfig:
        if value is None:
            return JudgeConfig()
        fields = self.mapping(value, ("judge",), "a mapping with url, model, api_key_env")
        if fields is None:
            return JudgeConfig()
        self.keys(fields, ("url", "model", "api_key_env"), ("judge",))
        for key in ("url", "model", "api_key_env"):
            if key in fields and not isinstance(fields[key], str):
                self.bad(("judge", key), "must be a string")
        url = fields.get("url")
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            self.bad(("judge", "url"), "must be an http(s) URL of an OpenAI-compatible API")
        return JudgeConfig(
            url=url, model=fields.get("model"), api_key_env=fields.get("api_key_env")
        )

    # --- scenarios ------------------------------------------------------------------------

    def scenarios(self, value: Any, tool_names: set[str], mode: Any, voice: Any) -> list[Scenario]:
        if not isinstance(value, list) or not value:
            self.bad(("scenarios",), "must be a non-empty list of scenarios")
            return []
        scenarios: list[Scenario] = []
        seen: set[str] = set()
        for index, item in enumerate(value):
            path: Path = ("scenarios", index)
            fields = self.mapping(item, path, "a scenario (name, mode, turns)")
            if fields is None:
                continue
            self.keys(fields, SCENARIO_KEYS, path)
            name = fields.get("name")
            if not isinstance(name, str) or not name.strip():
                self.bad((*path, "name"), "every scenario needs a name")
                name = f"scenario {index + 1}"
            elif name in seen:
                self.bad((*path, "name"), f"another scenario is already called {name!r}")
            seen.add(name)
            this_mode = fields.get("mode", mode)
            if this_mode not in MODES:
                self.bad(
                    (*path, "mode"), f"unknown mode {this_mode!r}; use one of {', '.join(MODES)}"
                )
                this_mode = "text"
            this_voice = fields.get("voice", voice)
            if this_voice is not None and not isinstance(this_voice, str):
                self.bad((*path, "voice"), "must be a voice id")
                this_voice = None
            turns = self.turns(fields.get("turns"), (*path, "turns"), this_mode, tool_names)
            scenarios.append(Scenario(name, tuple(turns), mode=this_mode, voice=this_voice))
        return scenarios

    def turns(self, value: Any, path: Path, mode: str, tool_names: set[str]) -> list[Turn]:
        if not isinstance(value, list) or not value:
            self.bad(path, "must be a non-empty list of turns")
            return []
        turns: list[Turn] = []
        for index, item in enumerate(value):
            here: Path = (*path, index)
            fields = self.mapping(item, here, "a turn (user, expect)")
            if fields is None:
                continue
            self.keys(fields, TURN_KEYS, here)
            user = fields.get("user")
            if user is not None and (not isinstance(user, str) or not user.strip()):
                self.bad((*here, "user"), "must be the words the user says")
                user = None
            audio = None
            if mode == "audio":
                audio = self.recording(fields.get("audio"), (*here, "audio"))
            elif "audio" in fields:
                self.bad(
                    (*here, "audio"),
                    f"only audio-mode scenarios take a recording (this one is {mode})",
                )
            elif user is None:
                self.bad((*here, "user"), f"a {mode} turn needs the user's words")
            expect = self.expect(fields.get("expect"), (*here, "expect"), tool_names)
            turns.append(Turn(user=user, audio=audio, expect=expect))
        return turns

    def recording(self, value: Any, path: Path) -> FilePath | bytes | None:
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        if not isinstance(value, str | FilePath):
            self.bad(path, "an audio turn needs a WAV file (audio: path/to/turn.wav)")
            return None
        file = FilePath(value).expanduser()
        file = file if file.is_absolute() else self.folder / file
        if not file.is_file():
            self.bad(path, f"no such WAV file: {file}")
            return None
        return file


__all__ = ["load_suite"]
