"""What a session leaves behind, in SQLite: transcript entries, tool calls, per-turn
metrics, and the numbered event log that resume replays from.

The tables live in the server's database file beside the REST store's tables (prefixed
``rt_``), written through this module's own connection. ``TranscriptStore.record`` is
given every server event the runtime emits and files each where it belongs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.events import encode_event
from nur_notebook.server.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rt_events (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS rt_transcript (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, turn INTEGER NOT NULL, role TEXT NOT NULL,
    text TEXT NOT NULL, interrupted INTEGER NOT NULL, response_id TEXT, created_at REAL NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS rt_tool_calls (
    session_id TEXT NOT NULL, call_id TEXT NOT NULL, turn INTEGER NOT NULL, name TEXT NOT NULL,
    arguments TEXT NOT NULL, output TEXT, is_error INTEGER, duration_ms REAL,
    created_at REAL NOT NULL, completed_at REAL, PRIMARY KEY (session_id, call_id)
);
CREATE TABLE IF NOT EXISTS rt_turn_metrics (
    session_id TEXT NOT NULL, turn INTEGER NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (session_id, turn)
);
CREATE TABLE IF NOT EXISTS rt_session_state (
    session_id TEXT PRIMARY KEY, resume_token TEXT NOT NULL, turns_used INTEGER NOT NULL,
    greeted INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rt_client_acks (
    session_id TEXT PRIMARY KEY, stream TEXT, applied INTEGER NOT NULL
);
"""


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")


class TranscriptStore:
    """The session tables; thread-safe (one connection behind a lock)."""

    def __init__(self, store: Store) -> None:
        store.execute_script(_SCHEMA)
        self._db = store.connect()
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, params)

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    # --- writing ------------------------------------------------------------------------

    def record(self, session_id: str, event: Any) -> None:
        """File one stamped server event (audio never comes here)."""
        now = time.time()
        # Every numbered event is kept, replayable or not, so a restarted server carries
        # on numbering after the last one a client may have seen.
        if event.seq:
            self._write(
                "INSERT OR REPLACE INTO rt_events VALUES (?, ?, ?, ?, ?)",
                (session_id, event.seq, event.type, encode_event(event), now),
            )
        match event:
            case ev.TranscriptUserFinal(turn=turn, text=text, seq=seq):
                self._entry(session_id, seq, turn, "user", text, False, None, now)
            case ev.TranscriptAgentFinal(
                turn=turn, text=text, seq=seq, interrupted=interrupted, response_id=rid
            ):
                self._entry(session_id, seq, turn, "agent", text, interrupted, rid, now)
            case ev.ToolCall(call_id=call_id, turn=turn, name=name, arguments=arguments):
                self._write(
                    "INSERT OR IGNORE INTO rt_tool_calls (session_id, call_id, turn, name,"
                    " arguments, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (session_id, call_id, turn, name, json.dumps(arguments), now),
                )
            case ev.ToolCallCompleted(
                call_id=call_id, output=output, is_error=is_error, duration_ms=duration
            ):
                self._write(
                    "UPDATE rt_tool_calls SET output = ?, is_error = ?, duration_ms = ?,"
                    " completed_at = ? WHERE session_id = ? AND call_id = ?",
                    (
                        json.dumps(output, default=str),
                        int(is_error),
                        duration,
                        now,
                        session_id,
                        call_id,
                    ),
                )
            case ev.MetricsTurn(turn=turn):
                body = {name: getattr(event, name) for name in ev.METRIC_KEYS}
                self._write(
                    "INSERT OR REPLACE INTO rt_turn_metrics VALUES (?, ?, ?, ?)",
                    (session_id, turn, json.dumps(body), now),
                )
            case _:
                pass

    def _entry(
        self,
        session_id: str,
        seq: int,
        turn: int,
        role: str,
        text: str,
        interrupted: bool,
        response_id: str | None,
        now: float,
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO rt_transcript VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, seq, turn, role, text, int(interrupted), response_id, now),
        )

    def save_state(
        self, session_id: str, *, resume_token: str, turns_used: int, greeted: bool
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO rt_session_state VALUES (?, ?, ?, ?)",
            (session_id, resume_token, turns_used, int(greeted)),
        )

    def save_acks(self, session_id: str, state: tuple[str | None, int]) -> None:
        """File the client stream and the last client ``seq`` applied (see ``acks.py``)."""
        self._write("INSERT OR REPLACE INTO rt_client_acks VALUES (?, ?, ?)", (session_id, *state))

    # --- reading ------------------------------------------------------------------------

    def load_acks(self, session_id: str) -> tuple[str | None, int]:
        """``(stream, applied)`` as last filed; ``(None, 0)`` for a session not seen."""
        rows = self._rows(
            "SELECT stream, applied FROM rt_client_acks WHERE session_id = ?", (session_id,)
        )
        if not rows:
            return None, 0
        return rows[0]["stream"], int(rows[0]["applied"])

    def load_state(self, session_id: str) -> tuple[str, int, bool] | None:
        """``(resume_token, turns_used, greeted)`` of a session seen before, or None."""
        rows = self._rows(
            "SELECT resume_token, turns_used, greeted FROM rt_session_state WHERE session_id = ?",
            (session_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return str(row["resume_token"]), int(row["turns_used"]), bool(row["greeted"])

    def load_events(self, session_id: str) -> list[Any]:
        """The session's logged events, decoded, in seq order (to rebuild a replay log)."""
        rows = self._rows(
            "SELECT body FROM rt_events WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [ev.decode_server_event(row["body"]) for row in rows]

    def transcript(self, session_id: str) -> dict[str, Any]:
        """The body of ``GET /v1/sessions/{id}/transcript``."""
        entries = [
            {
                "seq": row["seq"],
                "turn": row["turn"],
                "role": row["role"],
                "text": row["text"],
                "interrupted": bool(row["interrupted"]),
                "response_id": row["response_id"],
                "created_at": _iso(row["created_at"]),
            }
            for row in self._rows(
                "SELECT * FROM rt_transcript WHERE session_id = ? ORDER BY seq", (session_id,)
            )
        ]
        calls = [
            {
                "call_id": row["call_id"],
                "turn": row["turn"],
                "name": row["name"],
                "arguments": json.loads(row["arguments"]),
                "output": None if row["output"] is None else json.loads(row["output"]),
                "is_error": None if row["is_error"] is None else bool(row["is_error"]),
                "duration_ms": row["duration_ms"],
                "created_at": _iso(row["created_at"]),
            }
            for row in self._rows(
                "SELECT * FROM rt_tool_calls WHERE session_id = ? ORDER BY created_at",
                (session_id,),
            )
        ]
        metrics = [
            {"turn": row["turn"], **json.loads(row["body"])}
            for row in self._rows(
                "SELECT * FROM rt_turn_metrics WHERE session_id = ? ORDER BY turn", (session_id,)
            )
        ]
        return {
            "object": "session.transcript",
            "session_id": session_id,
            "entries": entries,
            "tool_calls": calls,
            "metrics": metrics,
        }
