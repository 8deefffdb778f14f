"""What goes into the session machine and what comes out of it: plain frozen data.

Inputs are things that happened (a client event, the listener heard speech stop, a
transcript came back, the brain said a piece, audio went out, a timer fired). Commands
are what the machine wants done (send an event, transcribe this audio, start a brain
stream, speak a sentence, save state, close the socket). Work the driver runs for the
machine is named by an id (``job`` of a transcription, ``stream`` of a brain call,
``response_id`` of a speaker): results of work the machine has since cancelled carry an
old id and are ignored, so the driver never has to race against cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import ProtocolError
from nur_notebook.protocol.settings import TurnDetection
from nur_notebook.server.pipeline.base import Float32Audio, Message, ToolCallDecision


class Input:
    """Something that happened, for the machine to apply (every input derives from it)."""


class Command:
    """Something the machine wants done (every command derives from it)."""


class EngineWork(Command):
    """Engine work nobody sees or hears yet: a held (speculative) turn may run it."""


# --- inputs: the connection and the client ----------------------------------------


@dataclass(frozen=True)
class Started(Input):
    """The runtime exists; the session expires in ``expires_in_s``."""

    expires_in_s: float


@dataclass(frozen=True)
class Attached(Input):
    """A connection became live; ``last_seq`` set when it resumed (``replayed`` events);
    ``client_seq``: the last event of its client stream applied (see ``acks.py``)."""

    resume_token: str
    last_seq: int | None = None
    replayed: int = 0
    client_seq: int | None = None


@dataclass(frozen=True)
class ClientEventIn(Input):
    """One decoded client event: the single door by which client events come in."""

    event: ev.ClientEvent


# --- inputs: the listener ----------------------------------------------------------


@dataclass(frozen=True)
class SpeechStart(Input):
    """The listener heard speech start (``audio_ms`` into the input stream)."""

    audio_ms: int


@dataclass(frozen=True)
class SpeechPause(Input):
    """``pause_ms`` of silence: the turn may be ending (the utterance so far; the
    listener keeps its buffer)."""

    utterance: Float32Audio
    ended_at: float


@dataclass(frozen=True)
class SpeechProgress(Input):
    """Another ``ahead_ms`` of one speech: the utterance so far (the listener keeps its
    buffer), for the brain to read ahead while the user goes on speaking."""

    utterance: Float32Audio


@dataclass(frozen=True)
class SpeechResume(Input):
    """Speech again after a ``SpeechPause``: the turn goes on."""


@dataclass(frozen=True)
class SpeechStop(Input):
    """The configured silence passed: the turn ended."""

    audio_ms: int
    utterance: Float32Audio | None
    """The turn's audio (None in push-to-talk mode, where only a commit ends the turn)."""
    ended_at: float
    """Monotonic time the last voiced frame arrived: the end of the user's speech."""


@dataclass(frozen=True)
class HeardSpeaking(Input):
    """After a frame while the user speaks: how long this speech has lasted."""

    speech_ms: float


@dataclass(frozen=True)
class AudioCut(Input):
    """The answer to ``CutAudio``: the buffered audio, or None when there was none."""

    audio: Float32Audio | None
    event_id: str | None = None


# --- inputs: engines ------------------------------------------------------------------


@dataclass(frozen=True)
class Transcribed(Input):
    job: int
    text: str
    stt_ms: float


@dataclass(frozen=True)
class TranscribeFailed(Input):
    job: int
    error: str


@dataclass(frozen=True)
class BrainSaid(Input):
    stream: str
    text: str


@dataclass(frozen=True)
class BrainDecided(Input):
    stream: str
    decision: ToolCallDecision


@dataclass(frozen=True)
class BrainDone(Input):
    stream: str


@dataclass(frozen=True)
class BrainFailed(Input):
    stream: str
    error: str


@dataclass(frozen=True)
class SegmentStarted(Input):
    """The speaker starts sending a synthesized sentence of ``duration_s``."""

    response_id: str
    text: str
    duration_s: float
    synth_ms: float


@dataclass(frozen=True)
class AudioSent(Input):
    response_id: str
    seconds: float


@dataclass(frozen=True)
class PlayoutDone(Input):
    """Every sentence was sent and has played out."""

    response_id: str


@dataclass(frozen=True)
class SpeakFailed(Input):
    response_id: str
    error: str


@dataclass(frozen=True)
class TimerFired(Input):
    key: str


@dataclass(frozen=True)
class EndRequested(Input):
    """End the session (REST ended it, e.g. its agent was deleted)."""

    reason: str


@dataclass(frozen=True)
class Shutdown(Input):
    """The server is stopping: stop work, close with 1001, keep the REST status."""


# --- commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class Emit(Command):
    """Number, file and send this server event."""

    event: Any


@dataclass(frozen=True)
class Fail(Command):
    """Send the ``error`` event of ``error``; close the socket when it is fatal."""

    error: ProtocolError


@dataclass(frozen=True)
class SaveState(Command):
    turns_used: int
    greeted: bool


@dataclass(frozen=True)
class PrepareBrain(Command):
    """Let the brain read the agent's prompt before the first turn."""


@dataclass(frozen=True)
class ConfigureListener(Command):
    settings: TurnDetection


@dataclass(frozen=True)
class CutAudio(Command):
    """Take all buffered input audio (push-to-talk commit); answer with ``AudioCut``."""

    event_id: str | None = None


@dataclass(frozen=True)
class ClearAudio(Command):
    pass


@dataclass(frozen=True)
class Transcribe(EngineWork):
    job: int
    audio: Float32Audio


@dataclass(frozen=True)
class ListenAhead(EngineWork):
    """Transcribe the speech so far and let the brain read it after ``history``: only a
    head start for the turn (nothing is recorded, shown or said)."""

    audio: Float32Audio
    history: list[Message] = field(default_factory=list)
    #: How many messages the session's history held: once it holds more, the guess is old.
    mark: int = 0


@dataclass(frozen=True)
class CancelTranscribe(EngineWork):
    job: int


@dataclass(frozen=True)
class StartBrain(EngineWork):
    stream: str
    history: list[Message] = field(default_factory=list)
    allow_tools: bool = True


@dataclass(frozen=True)
class CancelBrain(EngineWork):
    stream: str


@dataclass(frozen=True)
class StartSpeaking(EngineWork):
    """Open a speaker for a response: output audio at ``rate`` with this generation."""

    response_id: str
    generation: int
    rate: int
    hold: bool = False


@dataclass(frozen=True)
class Speak(EngineWork):
    response_id: str
    text: str


@dataclass(frozen=True)
class ReleaseSpeaking(Command):
    """A held speaker may send its audio now."""

    response_id: str


@dataclass(frozen=True)
class FinishSpeaking(EngineWork):
    """No more sentences: play out what is queued, then report ``PlayoutDone``."""

    response_id: str


@dataclass(frozen=True)
class StopSpeaking(EngineWork):
    """Stop at once; nothing more is sent."""

    response_id: str


@dataclass(frozen=True)
class SetTimer(Command):
    key: str
    delay_s: float


@dataclass(frozen=True)
class CancelTimer(Command):
    key: str


@dataclass(frozen=True)
class MarkEnded(Command):
    """Move the REST status (before the client hears ``session.ended``)."""

    reason: str


@dataclass(frozen=True)
class Close(Command):
    code: int
    reason: str
