"""What the brain sees: the conversation so far, trimmed to a recent window.

The runtime appends entries as the conversation happens; the agent's entries hold
only what the user heard (after barge-in, the played part). The window keeps the
most recent messages and never starts on a dangling tool result.

The window's start moves in steps, not one exchange a turn: once it would hold more
than ``max_messages``, it starts again at the most recent half (at a user turn where
one begins in the older half of the limit). The brain's KV cache
reuses the prompt up to the first message that differs, so a window sliding by one
exchange made every turn past the limit evaluate the whole window again (seconds on
a CPU); in steps, a turn evaluates only its own messages until the next step.
"""

from __future__ import annotations

import json
from typing import Any

from nur_notebook.server.pipeline.base import Message


class History:
    """The ordered messages of one session."""

    def __init__(self, *, max_messages: int = 24) -> None:
        if max_messages < 2:
            raise ValueError("max_messages must be at least 2")
        self.max_messages = max_messages
        self._messages: list[Message] = []
        #: Where the window starts (moved by :meth:`window` when it grows too long).
        self._start = 0

    def add_user(self, text: str) -> None:
        self._messages.append(Message(role="user", content=text))

    def add_agent(self, text: str) -> None:
        if text.strip():
            self._messages.append(Message(role="agent", content=text))

    def add_tool_call(self, name: str, arguments: dict[str, Any]) -> None:
        self._messages.append(Message(role="tool_call", name=name, arguments=arguments))

    def add_tool_result(self, name: str, content: str, *, is_error: bool) -> None:
        self._messages.append(
            Message(role="tool_result", name=name, content=content, is_error=is_error)
        )

    def truncate(self, length: int) -> None:
        """Forget every message after the first ``length`` (a dropped speculative turn)."""
        del self._messages[length:]
        if self._start >= length:  # the window's last step counted what is gone
            self._start = max(0, length - self.max_messages)

    def rebuild(self, events: list[Any]) -> None:
        """Replay a session's filed events (after a server restart) into the history."""
        for event in events:
            match getattr(event, "type", None):
                case "transcript.user.final":
                    self.add_user(event.text)
                case "transcript.agent.final":
                    self.add_agent(event.text)
                case "tool.call":
                    self.add_tool_call(event.name, event.arguments)
                case "tool.call.completed":
                    output = event.output
                    text = output if isinstance(output, str) else json.dumps(output)
                    self.add_tool_result(event.name, text, is_error=event.is_error)
                case _:
                    pass

    def window(self, *, peek: bool = False) -> list[Message]:
        """The recent messages for the next brain call: between half of ``max_messages``
        and all of it, the start fixed between steps (see the module docstring). A
        ``peek`` (a head start's guess) moves no step."""
        count = len(self._messages)
        start = min(self._start, count)
        if count - start > self.max_messages:
            # The most recent half, from a user turn where one starts in the older half.
            newest = count - max(self.max_messages // 2, 2)
            oldest = count - self.max_messages
            users = [i for i in range(newest, oldest - 1, -1) if self._messages[i].role == "user"]
            start = users[0] if users else newest
        if not peek:
            self._start = start
        while start < count and self._messages[start].role in ("tool_result", "tool_call"):
            start += 1
        return self._messages[start:]

    @property
    def messages(self) -> list[Message]:
        """Every message so far (what the user said is checked against all of it)."""
        return list(self._messages)

    @property
    def user_turns(self) -> int:
        return sum(1 for m in self._messages if m.role == "user")

    def __len__(self) -> int:
        return len(self._messages)
