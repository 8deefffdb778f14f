"""The server's SQLite store: API keys (one account each), agents and sessions.

One database file in WAL mode, ``<data_dir>/nur.sqlite3``. ``Store`` holds one shared
connection guarded by a lock, so it is safe to call from the event loop and from worker
threads alike. Other server modules keep their own tables in the same file: call
``store.execute_script("CREATE TABLE IF NOT EXISTS ...")`` once, then use
``store.connect()`` for a private connection (or ``store.transaction()`` for the shared
one).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nur_notebook.server.ids import AGENT_PREFIX, SESSION_PREFIX, new_id

SessionStatus = Literal["active", "ended", "expired"]
Clock = Callable[[], float]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id      TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL UNIQUE,
    key_hash    TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    revoked_at  REAL
);
CREATE TABLE IF NOT EXISTS agents (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    voice_id      TEXT NOT NULL,
    system_prompt TEXT NOT NULL,
    language      TEXT NOT NULL,
    tools         TEXT NOT NULL,
    max_turns     INTEGER NOT NULL,
    status        TEXT NOT NULL,
    created_at    REAL NOT NULL,
    deleted_at    REAL
);
CREATE INDEX IF NOT EXISTS agents_by_account ON agents (account_id, status, seq);
CREATE TABLE IF NOT EXISTS sessions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    account_id      TEXT NOT NULL,
    agent_id        TEXT NOT NULL REFERENCES agents (id),
    metadata        TEXT NOT NULL,
    initial_message TEXT,
    status          TEXT NOT NULL,
    ended_reason    TEXT,
    created_at      REAL NOT NULL,
    expires_at      REAL NOT NULL,
    ended_at        REAL
);
CREATE INDEX IF NOT EXISTS sessions_by_agent ON sessions (agent_id, status);
"""


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as stored (the secret itself is never stored, only its hash)."""

    key_id: str
    account_id: str
    prefix: str
    label: str
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class AgentRecord:
    """An agent with its full configuration; ``tools`` in the API's JSON shape."""

    id: str
    account_id: str
    name: str
    voice_id: str
    system_prompt: str
    language: str
    tools: list[dict[str, Any]]
    max_turns: int
    status: str
    created_at: float


@dataclass(frozen=True)
class SessionRecord:
    """A session row with the account that owns it."""

    session_id: str
    account_id: str
    agent_id: str
    metadata: dict[str, Any]
    initial_message: str | None
    status: SessionStatus
    ended_reason: str | None
    created_at: float
    expires_at: float
    ended_at: float | None


class Store:
    """Thread-safe access to the server's SQLite database.

    Example::

        store = Store(Path("/tmp/nur/nur.sqlite3"))
        agent = store.create_agent("acct_x", name="Support", voice_id="rachel_v2", ...)
        store.close()
    """

    def __init__(self, path: Path, *, clock: Clock = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = self.connect()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self.execute_script(_SCHEMA)

    # Connections

    def connect(self) -> sqlite3.Connection:
        """A new connection to the same database (WAL, foreign keys, rows by name).

        The caller owns it and closes it. It is in autocommit mode: use ``BEGIN`` /
        ``COMMIT`` (or ``with conn:``) for multi-statement writes.
        """
        conn = sqlite3.connect(
            self.path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def execute_script(self, sql: str) -> None:
        """Run DDL such as ``CREATE TABLE IF NOT EXISTS`` on the shared connection."""
        with self._lock:
            self._conn.executescript(sql)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The shared connection inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the shared connection."""
        with self._lock:
            self._conn.close()

    # API keys

    def add_api_key(
        self, *, key_id: str, account_id: str, key_hash: str, prefix: str, label: str = ""
    ) -> ApiKeyRecord:
        """Store a new key (see ``auth.create_api_key`` for making one)."""
        now = self.clock()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, account_id, key_hash, prefix, label, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, account_id, key_hash, prefix, label, now),
            )
        return ApiKeyRecord(key_id, account_id, prefix, label, now, None)

    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        """The unrevoked key with this hash, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
            ).fetchone()
        return _key(row) if row else None

    def list_api_keys(self) -> list[ApiKeyRecord]:
        """Every key, revoked ones included, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall()
        return [_key(row) for row in rows]

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key; False when there is no such unrevoked key."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (self.clock(), key_id),
            )
        return cursor.rowcount == 1

    # Agents

    def create_agent(
        self,
        account_id: str,
        *,
        name: str,
        voice_id: str,
        system_prompt: str,
        language: str,
        tools: list[dict[str, Any]],
        max_turns: int,
    ) -> AgentRecord:
        """Insert a new active agent for ``account_id``."""
        agent = AgentRecord(
            id=new_id(AGENT_PREFIX),
            account_id=account_id,
            name=name,
            voice_id=voice_id,
            system_prompt=system_prompt,
            language=language,
            tools=tools,
            max_turns=max_turns,
            status="active",
            created_at=self.clock(),
        )
        self._insert("agents", {**dataclasses.asdict(agent), "tools": json.dumps(tools)})
        return agent

    def _insert(self, table: str, values: dict[str, Any]) -> None:
        """One new row of ``table``: column name -> value (the names are the code's own)."""
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with self.transaction() as conn:
            conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)

    def _row(self, sql: str, object_id: str, account_id: str | None) -> sqlite3.Row | None:
        """The row ``sql`` selects by one id, limited to ``account_id``'s when it is given."""
        params: tuple[Any, ...] = (object_id,)
        if account_id is not None:
            sql += " AND account_id = ?"
            params += (account_id,)
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def get_agent(self, agent_id: str, *, account_id: str | None = None) -> AgentRecord | None:
        """A live (not deleted) agent with its full config; scoped to ``account_id`` if given."""
        row = self._row(
            "SELECT * FROM agents WHERE id = ? AND status != 'deleted'", agent_id, account_id
        )
        return _agent(row) if row else None

    def list_agents(
        self, account_id: str, *, limit: int, offset: int
    ) -> tuple[list[AgentRecord], int]:
        """One page of the account's live agents, newest first, and how many there are."""
        with self._lock:
            total = self._conn.execute(
                "SELECT COUNT(*) FROM agents WHERE account_id = ? AND status != 'deleted'",
                (account_id,),
            ).fetchone()[0]
            rows = self._conn.execute(
                "SELECT * FROM agents WHERE account_id = ? AND status != 'deleted'"
                " ORDER BY seq DESC LIMIT ? OFFSET ?",
                (account_id, limit, offset),
            ).fetchall()
        return [_agent(row) for row in rows], int(total)

    def delete_agent(self, agent_id: str, *, account_id: str) -> list[str] | None:
        """Mark the agent deleted and end its active sessions (reason ``agent_deleted``).

        Returns the ids of the sessions it ended, or None when there is no such agent.
        """
        now = self.clock()
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE agents SET status = 'deleted', deleted_at = ?"
                " WHERE id = ? AND account_id = ? AND status != 'deleted'",
                (now, agent_id, account_id),
            )
            if cursor.rowcount != 1:
                return None
            rows = conn.execute(
                "SELECT id FROM sessions WHERE agent_id = ? AND status = 'active'", (agent_id,)
            ).fetchall()
            conn.execute(
                "UPDATE sessions SET status = 'ended', ended_reason = 'agent_deleted',"
                " ended_at = ? WHERE agent_id = ? AND status = 'active'",
                (now, agent_id),
            )
        return [row["id"] for row in rows]

    # Sessions

    def create_session(
        self,
        account_id: str,
        *,
        agent_id: str,
        metadata: dict[str, Any],
        initial_message: str | None,
        ttl_seconds: float,
    ) -> SessionRecord:
        """Insert a new active session of ``agent_id`` that expires after ``ttl_seconds``."""
        now = self.clock()
        session = SessionRecord(
            session_id=new_id(SESSION_PREFIX),
            account_id=account_id,
            agent_id=agent_id,
            metadata=metadata,
            initial_message=initial_message,
            status="active",
            ended_reason=None,
            created_at=now,
            expires_at=now + ttl_seconds,
            ended_at=None,
        )
        row = dataclasses.asdict(session)
        row["id"] = row.pop("session_id")
        self._insert("sessions", {**row, "metadata": json.dumps(metadata)})
        return session

    def get_session(
        self, session_id: str, *, account_id: str | None = None
    ) -> SessionRecord | None:
        """The session (scoped to ``account_id`` if given); an overdue one reads ``expired``."""
        row = self._row("SELECT * FROM sessions WHERE id = ?", session_id, account_id)
        if row is None:
            return None
        session = _session(row)
        if session.status == "active" and self.clock() >= session.expires_at:
            self.set_session_status(session_id, "expired", reason="expired")
            return self.get_session(session_id, account_id=account_id)
        return session

    def set_session_status(
        self, session_id: str, status: SessionStatus, *, reason: str | None = None
    ) -> bool:
        """Move a session to ``status`` (with an ended reason); False if no such session.

        A session that has ended or expired stays that way: only ``active`` sessions change.
        """
        if status not in ("active", "ended", "expired"):
            raise ValueError(f"unknown session status {status!r}")
        ended_at = None if status == "active" else self.clock()
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE sessions SET status = ?, ended_reason = ?, ended_at = ?"
                " WHERE id = ? AND status = 'active'",
                (status, reason, ended_at, session_id),
            )
        return cursor.rowcount == 1


def _key(row: sqlite3.Row) -> ApiKeyRecord:
    return ApiKeyRecord(**{name: row[name] for name in _KEY_FIELDS})


def _agent(row: sqlite3.Row) -> AgentRecord:
    fields = {name: row[name] for name in _AGENT_FIELDS}
    return AgentRecord(**{**fields, "tools": json.loads(row["tools"])})


def _session(row: sqlite3.Row) -> SessionRecord:
    fields = {name: row[name] for name in _SESSION_FIELDS}
    return SessionRecord(
        **{**fields, "session_id": row["id"], "metadata": json.loads(row["metadata"])}
    )


_KEY_FIELDS = [f.name for f in dataclasses.fields(ApiKeyRecord)]
_AGENT_FIELDS = [f.name for f in dataclasses.fields(AgentRecord) if f.name != "tools"]
_SESSION_FIELDS = [
    f.name for f in dataclasses.fields(SessionRecord) if f.name not in ("session_id", "metadata")
]
