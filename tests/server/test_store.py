"""The SQLite store: persistence, thread safety, other modules' tables, session status."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from nur_notebook.server.store import Store

TOOLS = [{"name": "lookup_order", "parameters": {"order_id": {"type": "string"}}}]


def make_agent(store: Store, account: str = "acct_a", name: str = "Support") -> str:
    agent = store.create_agent(
        account,
        name=name,
        voice_id="rachel_v2",
        system_prompt="Be kind.",
        language="en",
        tools=TOOLS,
        max_turns=5,
    )
    return agent.id


def test_everything_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nur.sqlite3"
    store = Store(path)
    agent_id = make_agent(store)
    session = store.create_session(
        "acct_a", agent_id=agent_id, metadata={"k": 1}, initial_message="Hi", ttl_seconds=60
    )
    store.close()

    reopened = Store(path)
    agent = reopened.get_agent(agent_id)
    assert agent is not None
    assert (agent.name, agent.tools, agent.max_turns) == ("Support", TOOLS, 5)
    again = reopened.get_session(session.session_id)
    assert again == session
    assert reopened.connect().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_scoping_by_account(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    agent_id = make_agent(store, "acct_a")
    assert store.get_agent(agent_id, account_id="acct_b") is None
    assert store.delete_agent(agent_id, account_id="acct_b") is None
    assert store.get_agent(agent_id, account_id="acct_a") is not None
    assert store.list_agents("acct_b", limit=10, offset=0) == ([], 0)
    store.close()


def test_session_status_moves_only_from_active(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    agent_id = make_agent(store)
    session = store.create_session(
        "acct_a", agent_id=agent_id, metadata={}, initial_message=None, ttl_seconds=60
    )
    assert store.set_session_status(session.session_id, "ended", reason="client_closed")
    assert not store.set_session_status(session.session_id, "expired", reason="late")
    record = store.get_session(session.session_id, account_id="acct_a")
    assert record is not None
    assert (record.status, record.ended_reason) == ("ended", "client_closed")
    assert record.ended_at is not None
    assert store.get_session(session.session_id, account_id="acct_b") is None
    assert not store.set_session_status("ses_missing", "ended")
    with pytest.raises(ValueError, match="unknown session status"):
        store.set_session_status(session.session_id, "paused")  # type: ignore[arg-type]
    store.close()


def test_other_modules_keep_their_tables_in_the_same_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.execute_script(
        "CREATE TABLE IF NOT EXISTS transcript (session_id TEXT, seq INTEGER, text TEXT)"
    )
    store.execute_script(
        "CREATE TABLE IF NOT EXISTS transcript (session_id TEXT, seq INTEGER, text TEXT)"
    )
    conn = store.connect()
    with conn:
        conn.execute("INSERT INTO transcript VALUES ('ses_1', 1, 'hello')")
    conn.close()
    with store.transaction() as shared:
        assert shared.execute("SELECT text FROM transcript").fetchone()[0] == "hello"
    store.close()


def test_a_failed_transaction_rolls_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    make_agent(store)

    def change_then_fail() -> None:
        with store.transaction() as conn:
            conn.execute("UPDATE agents SET name = 'changed'")
            conn.execute("INSERT INTO api_keys (key_id) VALUES (NULL)")

    with pytest.raises(sqlite3.IntegrityError):
        change_then_fail()
    assert store.list_agents("acct_a", limit=1, offset=0)[0][0].name == "Support"
    store.close()


def test_concurrent_writers_from_threads(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(25):
                agent_id = make_agent(store, name=f"{worker}-{i}")
                store.create_session(
                    "acct_a", agent_id=agent_id, metadata={}, initial_message=None, ttl_seconds=9
                )
                store.list_agents("acct_a", limit=5, offset=0)
        except BaseException as error:  # collected and re-raised by the test thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.list_agents("acct_a", limit=1, offset=0)[1] == 150
    store.close()
