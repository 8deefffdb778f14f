"""The ``%%nur_agent`` cell magic and the ``%nur`` line magic.

    %%nur_agent Customer Support --voice rachel_v2 --tools lookup_order --as support
    You are a friendly customer support agent for an e-commerce store.

    %nur agents | %nur delete NAME_OR_ID | %nur voices | %nur server [status|stop|logs]
    %%nur_eval [--repeat N] [--variants v1,v2] [--as VAR]   (the suite as YAML; docs/evals.md)
    %nur eval SUITE.yaml [the same options]

Everything is checked before anything is created: a bad option, an unknown voice or
tool, an empty prompt is a ``UsageError`` and the server is left as it was.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from nur_notebook.client.calls import AgentParams
from nur_notebook.client.errors import NurError
from nur_notebook.client.types import Agent, Session, Voice
from nur_notebook.notebook.context import NurContext
from nur_notebook.notebook.conversation import Conversation
from nur_notebook.notebook.kernel_loop import KernelLoop
from nur_notebook.notebook.options import AgentOptions, parse_agent_cell, resolve_tools
from nur_notebook.notebook.tables import Table, key_value_table
from nur_notebook.notebook.tools import Tool, registered_tools

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from nur_notebook.notebook.widget import ConversationWidget

T = TypeVar("T")

DEFAULT_VOICE = "rachel_v2"
DEFAULT_LANGUAGE = "en"

NUR_USAGE = """\
%nur agents                  the agents of this account (with this kernel's versions)
%nur delete NAME_OR_ID       delete one agent by id, or every agent with that name
%nur voices                  the voices agents can use
%nur server [status|stop|logs]   the local Nur server
%nur eval SUITE.yaml [--repeat N] [--variants v1,v2] [--as VAR]   run an eval suite"""


@magics_class
class NurMagics(Magics):
    """``%%nur_agent`` and ``%nur``, bound to one :class:`NurContext`."""

    def __init__(self, shell: InteractiveShell, context: NurContext) -> None:
        super().__init__(shell)  # type: ignore[no-untyped-call]  # IPython is untyped here
        self.context = context
        self.user_ns: dict[str, Any] = shell.user_ns
        from nur_notebook import evals

        evals.use_client(context.client)  # evals.run() in this kernel uses this server

    # --- %%nur_agent ------------------------------------------------------------

    @cell_magic  # type: ignore[untyped-decorator]  # IPython's decorators are untyped
    def nur_agent(self, line: str, cell: str | None = None) -> None:
        """Create a new version of an agent from the cell (its system prompt) and talk to it."""
        options = parse_agent_cell(line, cell)
        tools = resolve_tools(
            options.tool_names, namespace=self.user_ns, registry=registered_tools()
        )
        live = self._live_to_update(options)
        voice_id, language = self._check_voice(options)
        agent = self._create_agent(options, voice_id=voice_id, language=language, tools=tools)
        version = self.context.next_version(options.name)
        self.context.versions[options.name] = version
        described = {
            "name": options.name,
            "agent_id": agent.id,
            "version": version,
            "voice_id": voice_id,
            "language": language,
        }
        self.context.agent_versions.setdefault(options.name, []).append(
            {
                **described,
                "system_prompt": options.system_prompt,
                "tools": list(tools),
                "max_turns": options.max_turns,
                "initial_message": options.greeting,
            }
        )
        if live is not None:
            live.update(system_prompt=options.system_prompt, version=version)
            self.user_ns[options.var] = live
            print(
                f"Agent {options.name!r} v{version} ({agent.id}): the running conversation "
                f"has the new prompt -> {options.var}"
            )
            return
        tool_note = f", tools: {', '.join(t.name for t in tools)}" if tools else ""
        print(
            f"Agent {options.name!r} v{version} ({agent.id}), voice {voice_id}, "
            f"language {language}{tool_note} -> {options.var}"
        )
        if not options.talk:
            self.user_ns[options.var] = agent
            return
        conversation = self._open_conversation(agent, described, options, tools)
        previous = self.context.conversations.pop(options.name, None)
        if previous is not None and not previous.ended:
            previous.end()  # superseded by the new version
        self.context.conversations[options.name] = conversation
        self.user_ns[options.var] = conversation
        conversation.show()

    def _live_to_update(self, options: AgentOptions) -> Conversation | None:
        """With ``--update``: the running conversation of NAME (checked before anything)."""
        if not options.update:
            return None
        live: Conversation | None = self.context.conversations.get(options.name)
        if live is None or live.ended:
            raise UsageError(
                f"%%nur_agent --update: no running conversation of {options.name!r} to "
                "update; run the cell without --update to start one"
            )
        for flag, given, current in (
            ("--voice", options.voice_id, live.agent.get("voice_id")),
            ("--language", options.language, live.agent.get("language")),
        ):
            if given is not None and given != current:
                raise UsageError(
                    f"%%nur_agent --update changes the prompt only; {flag} {given} differs "
                    f"from the running conversation's {current} (run without --update)"
                )
        return live

    # --- %%nur_eval -------------------------------------------------------------

    @cell_magic  # type: ignore[untyped-decorator]
    def nur_eval(self, line: str, cell: str | None = None) -> None:
        """Run the eval suite in the cell body (YAML) with a live matrix below the cell."""
        from nur_notebook.notebook import eval_magic

        options = eval_magic.parse_options(eval_magic.split_line(line))
        if not (cell or "").strip():
            raise UsageError(
                f"%%nur_eval: the cell body is the suite, and it is empty\n\n{eval_magic.USAGE}"
            )
        self._run_eval(str(cell), options, source=None)

    def _eval_file(self, words: list[str]) -> None:
        from pathlib import Path

        from nur_notebook.notebook import eval_magic

        path = Path(words[0]).expanduser()
        options = eval_magic.parse_options(words[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"%nur eval: cannot read {path}: {exc.strerror or exc}") from None
        self._run_eval(text, options, source=path)

    def _run_eval(self, text: str, options: Any, *, source: Any) -> None:
        from nur_notebook.notebook import eval_magic

        suite = eval_magic.build_suite(
            text,
            options,
            namespace=self.user_ns,
            versions=self.context.agent_versions,
            source=source,
        )
        running = eval_magic.start_eval(suite, client=self.context.client, options=options)
        self.user_ns[options.var] = running

    def _voices(self) -> list[Voice]:
        return self._api(self.context.client.voices.list)

    def _check_voice(self, options: AgentOptions) -> tuple[str, str]:
        voices = {v.voice_id: v for v in self._voices()}
        voice_id = options.voice_id or (DEFAULT_VOICE if DEFAULT_VOICE in voices else "")
        if not voice_id and voices:
            voice_id = next(iter(voices))
        if voice_id not in voices:
            known = ", ".join(sorted(voices)) or "none"
            raise UsageError(
                f"%%nur_agent: unknown voice {voice_id!r}; this server speaks: {known} "
                "(see %nur voices)"
            )
        language = options.language or DEFAULT_LANGUAGE
        languages = voices[voice_id].languages
        if languages and language not in languages:
            raise UsageError(
                f"%%nur_agent: voice {voice_id} does not speak language {language!r}; "
                f"it speaks: {', '.join(map(str, languages))}"
            )
        return voice_id, language

    def _create_agent(
        self,
        options: AgentOptions,
        *,
        voice_id: str,
        language: str,
        tools: list[Tool[..., Any]],
    ) -> Agent:
        params: AgentParams = {
            "name": options.name,
            "voice_id": voice_id,
            "system_prompt": options.system_prompt,
            "language": language,
            "tools": [item.definition for item in tools] or None,
        }
        if options.max_turns is not None:
            params["max_turns"] = options.max_turns
        return self._api(lambda: self.context.client.agents.create(**params))

    def _open_conversation(
        self,
        agent: Agent,
        described: dict[str, Any],
        options: AgentOptions,
        tools: list[Tool[..., Any]],
    ) -> Conversation:
        client = self.context.client
        try:
            session: Session = self._api(
                lambda: client.agents.sessions.create(
                    agent_id=agent.id, initial_message=options.greeting
                )
            )
        except UsageError:
            self._api(lambda: client.agents.delete(agent.id))  # leave no half-made agent behind
            raise
        return Conversation(
            session,
            client=self.context.async_client,
            agent=described,
            tools=tools,
            greeting=bool(options.greeting),
            widget=_make_widget(described, kernel=self.context.kernel),
            kernel=self.context.kernel,
        )

    def _api(self, call: Callable[[], T]) -> T:
        """Call the client; its API errors become a ``UsageError`` with the server's words."""
        try:
            return call()
        except NurError as exc:
            raise UsageError(f"Nur API: {exc}") from None

    # --- %nur -------------------------------------------------------------------

    @line_magic  # type: ignore[untyped-decorator]
    def nur(self, line: str) -> Table | None:
        """``%nur agents|delete|voices|server``: see ``%nur help``."""
        words = shlex.split(line)
        command, rest = (words[0], words[1:]) if words else ("help", [])
        match command:
            case "agents" if not rest:
                return self._agents_table()
            case "voices" if not rest:
                return self._voices_table()
            case "delete" if rest:
                self._delete(" ".join(rest))
                return None
            case "server" if len(rest) <= 1:
                return self._server(rest[0] if rest else "status")
            case "eval" if rest:
                self._eval_file(rest)
                return None
            case "help" | "-h" | "--help":
                print(NUR_USAGE)
                return None
        raise UsageError(f"%nur: cannot do {line.strip()!r}\n\n{NUR_USAGE}")

    def _all_agents(self) -> list[Agent]:
        return self._api(lambda: list(self.context.client.agents.iter_all()))

    def _agents_table(self) -> Table:
        rows = []
        for agent in self._all_agents():
            rows.append(
                (
                    agent.id,
                    agent.name,
                    self.context.versions.get(agent.name, ""),
                    agent.voice_id,
                    agent.language,
                    ", ".join(t.name for t in agent.tools),
                    agent.max_turns,
                    agent.created_at,
                )
            )
        columns = ["id", "name", "version", "voice", "language", "tools", "max turns", "created"]
        return Table(columns, rows, title=f"{len(rows)} agents", empty="No agents yet.")

    def _voices_table(self) -> Table:
        rows = [
            (v.voice_id, v.name, ", ".join(v.languages), v.gender or "", v.description)
            for v in self._voices()
        ]
        columns = ["voice_id", "name", "languages", "gender", "description"]
        return Table(columns, rows, title=f"{len(rows)} voices")

    def _delete(self, target: str) -> None:
        client = self.context.client
        if target.startswith("agt_"):
            ids = [target]
        else:
            ids = [a.id for a in self._all_agents() if a.name == target]
            if not ids:
                raise UsageError(f"%nur delete: no agent named {target!r} (see %nur agents)")
        for agent_id in ids:
            self._api(partial(client.agents.delete, agent_id))
        for name, conversation in list(self.context.conversations.items()):
            if name == target or conversation.agent.get("agent_id") in ids:
                conversation.end()
                del self.context.conversations[name]
        print(f"Deleted {len(ids)} agent{'s' if len(ids) != 1 else ''}: {', '.join(ids)}")

    def _server(self, action: str) -> Table | None:
        server = self.context.server
        if server is None:
            raise UsageError(
                f"%nur server: this kernel uses the hosted API at {self.context.base_url}, "
                "not a local server"
            )
        match action:
            case "status":
                return key_value_table(server.status(), title="Local Nur server")
            case "stop":
                for conversation in self.context.conversations.values():
                    conversation.end()
                self.context.conversations.clear()
                stopped = server.stop()
                print("Stopped the local Nur server." if stopped else "No local server ran.")
                return None
            case "logs":
                print(server.logs() or f"(no log yet at {server.files.log})")
                return None
        raise UsageError(f"%nur server: unknown action {action!r}; use status, stop or logs")


def _make_widget(agent: dict[str, Any], *, kernel: KernelLoop) -> ConversationWidget:
    """The conversation widget (imported here: anywidget loads only when it is needed)."""
    from nur_notebook.notebook.widget import ConversationWidget

    return ConversationWidget(agent=agent, kernel=kernel)
