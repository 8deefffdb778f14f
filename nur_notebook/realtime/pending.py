"""Client events kept until the server has applied them: at-least-once sending, pure.

The session connection numbers every event it sends (``seq`` 1, 2, 3, ... in its client
stream, named by ``client_stream`` on the connect URL) and keeps it in ``Pending`` until
the server acknowledges it: with ``ack {client_seq}`` while connected, and with
``client_seq`` in ``session.created`` / ``session.resumed`` on every (re)connection. What
is still kept then was lost with the old socket and is sent again, in order; the server
skips any it had applied (docs/protocol.md, Delivery). Live microphone audio is never kept.

    >>> from nur_notebook.protocol.events import InputText
    >>> pending = Pending()
    >>> pending.add(InputText(text="hi"))
    '{"type":"input.text","text":"hi","event_id":null,"seq":1}'
    >>> _ = pending.add(InputText(text="there"))
    >>> pending.ack(1)
    >>> [seq for seq, _ in pending.unacknowledged()]
    [2]
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import deque
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit, urlunsplit

from nur_notebook.protocol.events import ClientEvent, encode_event


def new_stream_id() -> str:
    """A fresh ``client_stream`` name: one per connection object, kept across reconnects."""
    return "cs_" + secrets.token_urlsafe(12)


class Pending:
    """The numbered client events not acknowledged yet, oldest first."""

    def __init__(self, *, enabled: bool = True) -> None:
        #: False when nothing is numbered: the caller asked so, or the server never acks.
        self.enabled = enabled
        self.acked = 0
        self._next = 1
        self._items: deque[tuple[int, str]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, event: ClientEvent) -> str:
        """The text frame for ``event``: numbered and kept while enabled, else plain."""
        if not self.enabled:
            return encode_event(event)
        seq, self._next = self._next, self._next + 1
        text = encode_event(dataclasses.replace(event, seq=seq))
        self._items.append((seq, text))
        return text

    def ack(self, client_seq: int) -> None:
        """The server has applied everything up to ``client_seq``: forget it."""
        self.acked = max(self.acked, client_seq)
        while self._items and self._items[0][0] <= self.acked:
            self._items.popleft()

    def server_acks(self, client_seq: int | None) -> None:
        """The connection's first event said what the server applied (None: a server that
        does not acknowledge, so nothing is numbered or kept from now on)."""
        if client_seq is None:
            self.enabled = False
            self._items.clear()
        else:
            self.ack(client_seq)

    def unacknowledged(self) -> Iterator[tuple[int, str]]:
        """``(seq, text)`` of what is kept, in order; events added while iterating follow."""
        last = 0
        while True:
            following = next(((s, t) for s, t in self._items if s > last), None)
            if following is None:
                return
            last = following[0]
            yield following


def connect_url(
    url: str, *, last_seq: int, resume_token: str | None, client_stream: str | None
) -> str:
    """``url`` with the query that resumes after ``last_seq`` (given a token) and names the
    client stream (given one)."""
    params: dict[str, str | int] = {}
    if resume_token is not None:
        params.update(last_seq=last_seq, resume_token=resume_token)
    if client_stream is not None:
        params["client_stream"] = client_stream
    if not params:
        return url
    parts = urlsplit(url)
    query = urlencode(params)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))
