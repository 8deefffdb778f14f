"""The session tables in a real SQLite file: filing events, the transcript body, restore."""

from __future__ import annotations

import pytest

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.replay import ReplayLog
from nur_notebook.server.realtime.transcripts import TranscriptStore


@pytest.fixture
def store(transcripts: TranscriptStore) -> TranscriptStore:
    return transcripts


def file_turn(store: TranscriptStore, log: ReplayLog, session_id: str) -> None:
    for event in (
        ev.SessionCreated(session={}, resume_token=log.resume_token),
        ev.TranscriptUserFinal(turn=1, text="Where is order 12345?"),
        ev.ResponseStarted(response_id="rsp_1", turn=1, generation=1),
        ev.ToolCall(
            call_id="call_1",
            name="lookup_order",
            arguments={"order_id": "12345"},
            response_id="rsp_1",
            turn=1,
        ),
        ev.ToolCallCompleted(
            call_id="call_1",
            name="lookup_order",
            output={"status": "shipped"},
            is_error=False,
            duration_ms=4.2,
        ),
        ev.TranscriptAgentDelta(response_id="rsp_1", turn=1, text="It shipped."),
        ev.TranscriptAgentFinal(response_id="rsp_1", turn=1, text="It shipped."),
        ev.ResponseDone(response_id="rsp_1", turn=1, status="completed"),
        ev.MetricsTurn(turn=1, voice_to_voice_ms=1500.0, stt_ms=400.0),
        ev.Pong(event_id="p"),
    ):
        store.record(session_id, log.stamp(event))


def test_transcript_lists_entries_calls_and_metrics(store: TranscriptStore) -> None:
    file_turn(store, ReplayLog(), "ses_a")
    file_turn(store, ReplayLog(), "ses_b")
    body = store.transcript("ses_a")
    assert [(e["role"], e["text"]) for e in body["entries"]] == [
        ("user", "Where is order 12345?"),
        ("agent", "It shipped."),
    ]
    assert body["entries"][1]["response_id"] == "rsp_1"
    assert body["entries"][0]["created_at"].endswith("Z")
    (call,) = body["tool_calls"]
    assert call["arguments"] == {"order_id": "12345"}
    assert call["output"] == {"status": "shipped"}
    assert call["is_error"] is False
    assert call["duration_ms"] == 4.2
    assert body["metrics"] == [
        {
            "turn": 1,
            "voice_to_voice_ms": 1500.0,
            "stt_ms": 400.0,
            "llm_first_token_ms": None,
            "llm_first_sentence_ms": None,
            "tool_ms": None,
            "tts_first_audio_ms": None,
        }
    ]
    assert store.transcript("ses_missing")["entries"] == []


def test_a_replay_log_can_be_rebuilt_from_the_filed_events(store: TranscriptStore) -> None:
    log = ReplayLog()
    file_turn(store, log, "ses_a")
    store.save_state("ses_a", resume_token=log.resume_token, turns_used=1, greeted=True)
    assert store.load_state("ses_a") == (log.resume_token, 1, True)
    assert store.load_state("ses_other") is None
    assert store.load_events("ses_a")[-1].seq == 10  # numbering carries on after the pong

    rebuilt = ReplayLog()
    for event in store.load_events("ses_a"):
        rebuilt.restore(event)
    assert rebuilt.last_seq == 10
    assert [e.seq for e in rebuilt.since(3)] == [e.seq for e in log.since(3)]
    assert rebuilt.since(3)[0] == log.since(3)[0]
    assert all(e.type not in ("session.created", "pong") for e in rebuilt.since(0))
