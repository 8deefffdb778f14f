"""Speculative end of turn: work starts on a short pause and stays unseen until the
silence really ends the turn; if the user goes on, it is dropped (no I/O)."""

from __future__ import annotations

from machine_script import Script, emitted, emitted_kinds, utterance

from nur_notebook.protocol import events as ev
from nur_notebook.server.realtime import machine_io as io


def pause(script: Script, seconds: float = 1.0) -> list[io.Command]:
    return script.feed(io.SpeechPause(utterance(seconds), ended_at=script.now), after=0.2)


def test_a_confirmed_pause_releases_what_was_held_in_order() -> None:
    script = Script()
    script.feed(io.SpeechStart(audio_ms=0))
    started = pause(script)
    job = script.of(io.Transcribe, started)[0].job
    held = script.feed(io.Transcribed(job, "Where is order 7?", stt_ms=90.0), after=0.1)
    assert emitted(held) == []  # nothing seen yet...
    assert script.of(io.StartSpeaking, held)[0].hold
    assert script.of(io.StartBrain, held)  # ...but the brain is already thinking
    said = script.brain("It left the warehouse this morning. ")
    assert emitted(said) == []
    assert [c.text for c in script.of(io.Speak, said)] == ["It left the warehouse this morning."]

    stop = script.feed(io.SpeechStop(audio_ms=1400, utterance=utterance(1.4), ended_at=0.0))
    assert emitted_kinds(stop) == [
        "SpeechStopped",
        "TranscriptUserFinal",
        "ResponseStarted",
        "TranscriptAgentDelta",
    ]
    assert stop[-1] == io.ReleaseSpeaking(script.response_id())
    assert not script.of(io.Transcribe, stop)  # the longer utterance is not transcribed again
    assert script.machine.turns_used == 1
    script.play("It left the warehouse this morning.", 1.0)
    metrics = emitted(script.play_out(), ev.MetricsTurn)[0]
    assert metrics.stt_ms == 90.0


def test_speaking_on_drops_the_work_and_keeps_only_what_was_said() -> None:
    script = Script()
    started = pause(script)
    job = script.of(io.Transcribe, started)[0].job
    script.feed(io.Transcribed(job, "Where is", stt_ms=90.0))
    stream = script.stream()
    dropped = script.feed(io.SpeechResume(), after=0.1)
    assert io.CancelBrain(stream) in dropped
    assert script.of(io.StopSpeaking, dropped)
    assert emitted(dropped) == []
    assert script.machine.turns_used == 0
    assert script.machine.history.messages == []

    stop = script.feed(io.SpeechStop(audio_ms=3000, utterance=utterance(3.0), ended_at=script.now))
    job = script.of(io.Transcribe, stop)[0].job
    out = script.feed(io.Transcribed(job, "Where is order 7, please?", stt_ms=120.0))
    finals = script.events(ev.TranscriptUserFinal)
    assert [(f.turn, f.text) for f in finals] == [(1, "Where is order 7, please?")]
    assert [m.content for m in script.of(io.StartBrain, out)[0].history] == [
        "Where is order 7, please?"
    ]
    assert [e.generation for e in script.events(ev.ResponseStarted)] == [1]


def test_a_pause_still_being_transcribed_is_dropped_or_carried_on() -> None:
    script = Script()
    job = script.of(io.Transcribe, pause(script))[0].job
    assert script.feed(io.SpeechResume()) == [io.CancelTranscribe(job)]
    assert script.feed(io.Transcribed(job, "late", stt_ms=1.0)) == []

    job = script.of(io.Transcribe, pause(script))[0].job
    stop = script.feed(io.SpeechStop(audio_ms=900, utterance=utterance(), ended_at=script.now))
    assert emitted(stop) == [ev.SpeechStopped(audio_ms=900)]  # the transcript is not in yet
    out = script.feed(io.Transcribed(job, "Hello", stt_ms=300.0))
    assert emitted(out, ev.TranscriptUserFinal)[0].text == "Hello"
    assert not script.of(io.StartSpeaking, out)[0].hold


def test_no_speculation_while_the_agent_talks_or_in_push_to_talk() -> None:
    script = Script()
    script.say("Hi")
    assert pause(script) == []  # a short interjection under the agent's reply
    script.client(ev.ResponseCancel())
    script.client(ev.SessionUpdate(session={"turn_detection": {"mode": "push_to_talk"}}))
    assert pause(script) == []


def test_text_during_a_held_turn_drops_it_and_the_utterance_still_counts() -> None:
    script = Script()
    job = script.of(io.Transcribe, pause(script))[0].job
    script.feed(io.Transcribed(job, "First", stt_ms=50.0))
    out = script.say("Typed instead")
    assert script.of(io.CancelBrain, out)
    assert [e.text for e in emitted(out, ev.TranscriptUserFinal)] == ["Typed instead"]
    stop = script.feed(io.SpeechStop(audio_ms=900, utterance=utterance(), ended_at=script.now))
    assert script.of(io.Transcribe, stop)  # the speech becomes its own turn after this one


def test_ending_during_a_held_turn_shows_nothing_of_it() -> None:
    script = Script()
    job = script.of(io.Transcribe, pause(script))[0].job
    script.feed(io.Transcribed(job, "Bye", stt_ms=50.0))
    out = script.client(ev.SessionEnd())
    assert emitted_kinds(out) == ["SessionEnded"]
    assert script.of(io.CancelBrain, out)


def test_a_reply_that_fails_while_held_is_reported_once_the_turn_ends() -> None:
    script = Script()
    job = script.of(io.Transcribe, pause(script))[0].job
    script.feed(io.Transcribed(job, "Hello", stt_ms=50.0))
    failed = script.feed(io.BrainFailed(script.stream(), "boom"))
    assert emitted(failed) == []  # the speaker stops, unheard
    stop = script.feed(io.SpeechStop(audio_ms=900, utterance=utterance(), ended_at=script.now))
    assert emitted_kinds(stop) == [
        "SpeechStopped",
        "TranscriptUserFinal",
        "ResponseStarted",
        "Error",
        "TranscriptAgentFinal",
        "ResponseDone",
        "MetricsTurn",
    ]
    assert script.machine.response is None
    assert emitted(script.say("again?"), ev.ResponseStarted)[0].turn == 2


def test_words_so_far_are_read_ahead_only_while_nothing_else_runs() -> None:
    script = Script()
    script.say("Hi")
    script.brain("Hello! ")
    script.play("Hello!", 0.5)
    script.play_out()
    ahead = script.of(io.ListenAhead, script.feed(io.SpeechProgress(utterance(1.0)), after=0.1))
    assert len(ahead) == 1
    assert [m.content for m in ahead[0].history] == ["Hi", "Hello!"]  # the turn's history
    assert ahead[0].mark == 2  # once the history holds more, the guess is old
    assert emitted(script.feed(io.SpeechProgress(utterance(2.0)))) == []  # nothing seen

    script.say("Stop")  # a reply being said goes first
    assert script.feed(io.SpeechProgress(utterance(1.0))) == []
    script.client(ev.ResponseCancel())
    script.client(ev.SessionUpdate(session={"turn_detection": {"mode": "push_to_talk"}}))
    assert script.feed(io.SpeechProgress(utterance(1.0))) == []


def test_reading_ahead_records_nothing_and_the_turn_keeps_what_was_said() -> None:
    script = Script()
    script.feed(io.SpeechStart(audio_ms=0))
    assert script.of(io.ListenAhead, script.feed(io.SpeechProgress(utterance(1.0))))
    assert script.machine.turns_used == 0
    assert script.machine.history.messages == []
    job = script.of(io.Transcribe, pause(script, 1.6))[0].job
    held = script.feed(io.Transcribed(job, "Where is order 7?", stt_ms=80.0))
    assert script.of(io.StartBrain, held)[0].history[-1].content == "Where is order 7?"
    # While the turn is held, more speech is no time to read ahead.
    assert script.feed(io.SpeechProgress(utterance(2.0))) == []
