"""The ``%%nur_agent`` cell magic and the ``%nur`` line magic.

    %%nur_agent Customer Support --voice rachel_v2 --tools lookup_order --as support
    You are a friendly customer support agent for an e-commerce store.

    %nur agents | %nur delete NAME_OR_ID | %nur voices | %nur server [status|stop|logs]

Everything is checked before anything is created: a bad option, an unknown voice or
tool, an empty prompt is a ``UsageError`` and the server is left as it was.
"""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from nur_notebook.notebook.context import NurContext
from nur_notebook.notebook.conversation import Conversation
from nur_notebook.notebook.options import AgentOptions, parse_agent_cell, resolve_tools
from nur_notebook.notebook.tables import Table, key_value_table
from nur_notebook.notebook.tools import Tool, registered_tools

DEFAULT_VOICE = "rachel_v2"
DEFAULT_LANGUAGE = "en"
PAGE_LIMIT = 100

NUR_USAGE = """\
%nur agents                  the agents of this account (with this kernel's versions)
%nur delete NAME_OR_ID       delete one agent by id, or every agent with that name
%nur voices                  the voices agents can use
%nur server [status|stop|logs]   the local Nur server"""


@magics_class
class NurMagics(Magics):
    """``%%nur_agent`` and ``%nur``, bound to one :class:`NurContext`."""

    def __init__(self, shell: Any, context: NurContext) -> None:
        super().__init__(shell)  # type: ignore[no-untyped-call]  # IPython is untyped here
        self.context = context
        self.user_ns: dict[str, Any] = shell.user_ns

    # --- %%nur_agent ------------------------------------------------------------

    @cell_magic  # type: ignore[untyped-decorator]  # IPython's decorators are untyped
    def nur_agent(self, line: str, cell: str | None = None) -> None:
        """Create a new version of an agent from the cell (its system prompt) and talk to it."""
        options = parse_agent_cell(line, cell)
        tools = resolve_tools(
            options.tool_names, namespace=self.user_ns, registry=registered_tools()
        )
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

    def _voices(self) -> list[Any]:
        return _items(self._api(self.context.client.voices.list))

    def _check_voice(self, options: AgentOptions) -> tuple[str, str]:
        voices = {str(_field(v, "voice_id")): v for v in self._voices()}
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
        languages = _field(voices[voice_id], "languages")
        if isinstance(languages, list | tuple) and languages and language not in languages:
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
    ) -> Any:
        arguments: dict[str, Any] = {
            "name": options.name,
            "voice_id": voice_id,
            "system_prompt": options.system_prompt,
            "language": language,
            "tools": [item.definition for item in tools] or None,
        }
        if options.max_turns is not None:
            arguments["max_turns"] = options.max_turns
        return self._api(self.context.client.agents.create, **arguments)

    def _open_conversation(
        self,
        agent: Any,
        described: dict[str, Any],
        options: AgentOptions,
        tools: list[Tool[..., Any]],
    ) -> Conversation:
        client = self.context.client
        try:
            session = self._api(
                client.agents.sessions.create, agent_id=agent.id, initial_message=options.greeting
            )
        except UsageError:
            self._api(client.agents.delete, agent.id)  # leave no half-made agent behind
            raise
        return Conversation(
            session,
            client=self.context.async_client,
            agent=described,
            tools=tools,
            greeting=bool(options.greeting),
            widget=_make_widget(described),
        )

    def _api(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the client; its API errors become a ``UsageError`` with the server's words."""
        from nur_notebook.client import NurError

        try:
            return method(*args, **kwargs)
        except NurError as exc:
            raise UsageError(f"Nur API: {exc}") from None

    # --- %nur -------------------------------------------------------------------

    @line_magic  # type: ignore[untyped-decorator]
    def nur(self, line: str) -> Any:
        """``%nur agents|delete|voices|server``: see ``%nur help``."""
        words = shlex.split(line)
        command, rest = (words[0], words[1:]) if words else ("help", [])
        match command:
            case "agents" if not rest:
                return self._agents_table()
            case "voices" if not rest:
                return self._voices_table()
            case "delete" if rest:
                return self._delete(" ".join(rest))
            case "server" if len(rest) <= 1:
                return self._server(rest[0] if rest else "status")
            case "help" | "-h" | "--help":
                print(NUR_USAGE)
                return None
        raise UsageError(f"%nur: cannot do {line.strip()!r}\n\n{NUR_USAGE}")

    def _all_agents(self) -> list[Any]:
        agents: list[Any] = []
        offset = 0
        while True:
            page = self._api(self.context.client.agents.list, limit=PAGE_LIMIT, offset=offset)
            items = _items(page)
            agents.extend(items)
            if not _field(page, "has_more") or not items:
                return agents
            offset = _field(page, "next_offset") or offset + len(items)

    def _agents_table(self) -> Table:
        rows = []
        for agent in self._all_agents():
            name = str(_field(agent, "name"))
            tools = _field(agent, "tools") or []
            rows.append(
                (
                    _field(agent, "id"),
                    name,
                    self.context.versions.get(name, ""),
                    _field(agent, "voice_id"),
                    _field(agent, "language"),
                    ", ".join(str(_field(t, "name")) for t in tools),
                    _field(agent, "max_turns"),
                    _field(agent, "created_at"),
                )
            )
        columns = ["id", "name", "version", "voice", "language", "tools", "max turns", "created"]
        return Table(columns, rows, title=f"{len(rows)} agents", empty="No agents yet.")

    def _voices_table(self) -> Table:
        rows = [
            (
                _field(v, "voice_id"),
                _field(v, "name"),
                ", ".join(_field(v, "languages") or []),
                _field(v, "gender") or "",
                _field(v, "description") or "",
            )
            for v in self._voices()
        ]
        columns = ["voice_id", "name", "languages", "gender", "description"]
        return Table(columns, rows, title=f"{len(rows)} voices")

    def _delete(self, target: str) -> None:
        client = self.context.client
        if target.startswith("agt_"):
            ids = [target]
        else:
            ids = [str(_field(a, "id")) for a in self._all_agents() if _field(a, "name") == target]
            if not ids:
                raise UsageError(f"%nur delete: no agent named {target!r} (see %nur agents)")
        for agent_id in ids:
            self._api(client.agents.delete, agent_id)
        for name, conversation in list(self.context.conversations.items()):
            if name == target or conversation.agent.get("agent_id") in ids:
                conversation.end()
                del self.context.conversations[name]
        print(f"Deleted {len(ids)} agent{'s' if len(ids) != 1 else ''}: {', '.join(ids)}")

    def _server(self, action: str) -> Any:
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
                print(server.logs() or f"(no log yet at {server.log_path})")
                return None
        raise UsageError(f"%nur server: unknown action {action!r}; use status, stop or logs")


def _items(page: Any) -> list[Any]:
    """The items of a list result: a page with ``data``, or a plain sequence."""
    data = _field(page, "data")
    return list(data if data is not None else page)


def _field(item: Any, name: str) -> Any:
    """An attribute of a typed result, or a key of a plain dict."""
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def _make_widget(agent: dict[str, Any]) -> Any:
    """The conversation widget (imported here: anywidget loads only when it is needed)."""
    from nur_notebook.notebook.widget import ConversationWidget

    return ConversationWidget(agent=agent)
