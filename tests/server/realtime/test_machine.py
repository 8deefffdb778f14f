"""The session machine's turns: text and audio, ordering, barge-in, cancel (no I/O)."""

from __future__ import annotations

from machine_script import Script, emitted, utterance

from nur_notebook.protocol import events as ev
from nur_notebook.server.realtime import machine_io as io


def test_connecting_creates_the_session_and_prepares_the_brain() -> None:
    script = Script()
    created = script.events(ev.SessionCreated)
    assert created[0].resume_token == "tok"
    assert created[0].session["agent"]["id"] == "agt_1"
    assert script.of(io.PrepareBrain)
    assert script.of(io.SetTimer)[0] == io.SetTimer("expiry", 3600)
    resumed = script.feed(io.Attached(resume_token="tok", last_seq=4, replayed=2))
    assert emitted(resumed) == [ev.SessionResumed(last_seq=4, replayed=2)]
    assert not script.of(io.PrepareBrain, resumed)


def test_a_text_turn_is_answered_spoken_and_measured() -> None:
    script = Script()
    out = script.say("  Hello there  ")
    assert emitted(out, ev.TranscriptUserFinal) == [
        ev.TranscriptUserFinal(turn=1, text="Hello there")
    ]
    assert io.SaveState(turns_used=1, greeted=False) in out
    start = script.of(io.StartBrain, out)[0]
    assert [m.content for m in start.history] == ["Hello there"]
    assert start.allow_tools
    assert emitted(out, ev.ResponseStarted)[0].turn == 1

    said = script.brain("Hi! I can help ", "with your order today. ", "What do you need?")
    deltas = [e.text for e in emitted(said, ev.TranscriptAgentDelta)]
    assert deltas == ["Hi! I can help ", "with your order today. ", "What do you need?"]
    spoken = [c.text for c in script.of(io.Speak, said)]
    assert spoken == ["Hi! I can help with your order today.", "What do you need?"]
    assert script.of(io.FinishSpeaking, said)
    assert not script.events(ev.ResponseDone)  # still speaking

    script.play("Hi! I can help with your order today.", 2.0)
    done = script.play_out()
    final = emitted(done, ev.TranscriptAgentFinal)[0]
    assert final.text == "Hi! I can help with your order today. What do you need?"
    assert not final.interrupted
    assert emitted(done, ev.ResponseDone)[0].status == "completed"
    metrics = emitted(done, ev.MetricsTurn)[0]
    assert metrics.turn == 1
    assert metrics.voice_to_voice_ms == 300.0  # text at t, first audio 0.3 s later
    assert metrics.tts_first_audio_ms == 50.0
    assert metrics.stt_ms is None
    assert [m.role for m in script.machine.history.messages] == ["user", "agent"]
    assert script.machine.response is None


def test_an_audio_turn_is_transcribed_first_and_empty_ones_are_dropped() -> None:
    script = Script()
    assert emitted(script.feed(io.SpeechStart(audio_ms=120))) == [ev.SpeechStarted(audio_ms=120)]
    stop = script.feed(io.SpeechStop(audio_ms=900, utterance=utterance(), ended_at=script.now))
    assert emitted(stop) == [ev.SpeechStopped(audio_ms=900)]
    job = script.of(io.Transcribe, stop)[0].job
    assert script.feed(io.Transcribed(job, "   ", stt_ms=40.0), after=0.2) == []
    assert script.machine.turns_used == 0

    stop = script.feed(io.SpeechStop(audio_ms=3000, utterance=utterance(), ended_at=script.now))
    job = script.of(io.Transcribe, stop)[0].job
    assert script.feed(io.Transcribed(job + 1, "stale", stt_ms=1.0)) == []
    out = script.feed(io.Transcribed(job, " Where is it? ", stt_ms=80.0), after=0.1)
    assert emitted(out, ev.TranscriptUserFinal)[0].text == "Where is it?"
    script.brain("It is on its way to you now.")
    script.play("It is on its way to you now.", 1.0)
    metrics = emitted(script.play_out(), ev.MetricsTurn)[0]
    assert metrics.stt_ms == 80.0
    assert metrics.voice_to_voice_ms is not None
    assert metrics.voice_to_voice_ms > metrics.stt_ms


def test_push_to_talk_commit_cuts_the_audio_or_says_there_is_none() -> None:
    script = Script()
    assert script.client(ev.InputAudioCommit(event_id="e1")) == [io.CutAudio(event_id="e1")]
    refused = script.feed(io.AudioCut(None, event_id="e1"))
    assert refused[0].error.code == "invalid_state"  # type: ignore[union-attr]
    assert refused[0].error.event_id == "e1"  # type: ignore[union-attr]
    assert script.of(io.Transcribe, script.feed(io.AudioCut(utterance(), event_id="e1")))
    cleared = script.client(ev.InputAudioClear())
    assert cleared == [io.ClearAudio(), io.Emit(ev.InputAudioCleared())]


def test_a_turn_that_ends_while_another_is_transcribed_waits_its_turn() -> None:
    script = Script()
    stop = script.feed(io.SpeechStop(audio_ms=900, utterance=utterance(), ended_at=script.now))
    job = script.of(io.Transcribe, stop)[0].job
    assert not script.of(io.StartBrain, script.say("And the second thing"))  # queued
    out = script.feed(io.Transcribed(job, "First thing", stt_ms=50.0))
    finals = emitted(out, ev.TranscriptUserFinal)
    assert [(f.turn, f.text) for f in finals] == [(1, "First thing"), (2, "And the second thing")]
    started = emitted(out, ev.ResponseStarted)
    assert [s.turn for s in started] == [2]  # the newer turn gets the answer
    history = script.of(io.StartBrain, out)[0].history
    assert [m.content for m in history] == ["First thing", "And the second thing"]


def test_a_new_turn_interrupts_the_reply_and_stale_pieces_are_ignored() -> None:
    script = Script()
    script.say("Tell me a long story")
    first_stream = script.stream()
    script.brain("Once upon a time, ", done=False)
    out = script.say("Stop, another question")
    assert io.CancelBrain(first_stream) in out
    assert emitted(out, ev.ResponseDone)[0].status == "interrupted"
    assert emitted(out, ev.ResponseStarted)[0].turn == 2
    assert script.feed(io.BrainSaid(first_stream, "there was")) == []
    assert script.stream() != first_stream


def test_barge_in_keeps_only_what_was_played() -> None:
    script = Script()
    script.say("Hi")
    script.brain("The first sentence is this one. ", "The second one goes on and on.")
    script.play("The first sentence is this one.", 1.0)
    script.play("The second one goes on and on.", 2.0)
    assert script.feed(io.HeardSpeaking(speech_ms=100.0), after=0.5) == []  # too short
    out = script.feed(io.HeardSpeaking(speech_ms=300.0), after=1.0)  # 1.5 s played
    interrupted = emitted(out, ev.ResponseInterrupted)[0]
    assert interrupted.played_ms == 1500
    final = emitted(out, ev.TranscriptAgentFinal)[0]
    assert final.interrupted
    assert final.text.startswith("The first sentence is this one. The")
    assert "and on" not in final.text
    assert emitted(out, ev.ResponseDone)[0].status == "interrupted"
    assert script.of(io.StopSpeaking, out)
    assert script.machine.history.messages[-1].content == final.text
    assert emitted(out, ev.MetricsTurn)  # the turn still reports its stages
    assert script.feed(io.HeardSpeaking(speech_ms=900.0)) == []  # nothing left to stop


def test_response_cancel_stops_the_greeting_and_is_harmless_when_idle() -> None:
    script = Script(initial_message="Welcome to the shop! How can I help?")
    speak = script.of(io.Speak)
    assert [c.text for c in speak] == ["Welcome to the shop! How can I help?"]
    assert io.SaveState(turns_used=0, greeted=True) in script.commands
    out = script.client(ev.ResponseCancel())
    assert emitted(out, ev.ResponseDone)[0].status == "cancelled"
    assert emitted(out, ev.TranscriptAgentFinal)[0].text == ""  # nothing was played
    assert not emitted(out, ev.MetricsTurn)  # the greeting is no user turn
    assert script.client(ev.ResponseCancel()) == []
    again = script.feed(io.Attached(resume_token="tok"))
    assert not script.of(io.Speak, again)  # greeted once


def test_client_events_get_their_answers_and_bad_ones_their_errors() -> None:
    script = Script()
    assert script.client(ev.Ping(event_id="p1")) == [io.Emit(ev.Pong(event_id="p1"))]
    empty = script.say("   ")
    assert empty[0].error.code == "invalid_event"  # type: ignore[union-attr]
    bad = script.client(ev.SessionUpdate(session={"turn_detection": {"silence_ms": 1}}))
    assert isinstance(bad[0], io.Fail)
    update = {"turn_detection": {"silence_ms": 900}, "tool_timeout_ms": 2000}
    out = script.client(ev.SessionUpdate(session=update))
    assert script.of(io.ConfigureListener, out)[0].settings.silence_ms == 900
    assert emitted(out, ev.SessionUpdated)[0].session["tool_timeout_ms"] == 2000
    assert script.machine.turns_used == 0


def test_a_failing_engine_fails_the_reply_or_the_turn_but_not_the_session() -> None:
    script = Script()
    script.say("Hi")
    out = script.feed(io.BrainFailed(script.stream(), "out of memory"))
    assert emitted(out, ev.Error)[0].message == "response failed: out of memory"
    assert emitted(out, ev.ResponseDone)[0].status == "failed"
    stop = script.feed(io.SpeechStop(audio_ms=900, utterance=utterance(), ended_at=script.now))
    job = script.of(io.Transcribe, stop)[0].job
    failed = script.feed(io.TranscribeFailed(job, "RuntimeError: boom"))
    assert failed[0].error.code == "internal_error"  # type: ignore[union-attr]
    assert script.machine.ended is None
    assert emitted(script.say("Still there?"), ev.TranscriptUserFinal)[0].turn == 2


def test_a_new_system_prompt_is_read_by_the_next_reply() -> None:
    script = Script()
    out = script.client(ev.SessionUpdate(session={"system_prompt": "You are a pirate."}))
    assert (
        emitted(out, ev.SessionUpdated)[0].session["agent"]["system_prompt"] == "You are a pirate."
    )
    assert script.machine.info.agent.system_prompt == "You are a pirate."
    blank = script.client(ev.SessionUpdate(session={"system_prompt": "  "}))
    assert isinstance(blank[0], io.Fail)
    assert script.machine.info.agent.system_prompt == "You are a pirate."
