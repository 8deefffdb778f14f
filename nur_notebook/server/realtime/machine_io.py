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

# --- inputs: the connection and the client ----------------------------------------


@dataclass(frozen=True)
class Started:
    """The runtime exists; the session expires in ``expires_in_s``."""

    expires_in_s: float


@dataclass(frozen=True)
class Attached:
    """A connection became live; ``last_seq`` set when it resumed (``replayed`` events)."""

    resume_token: str
    last_seq: int | None = None
    replayed: int = 0


@dataclass(frozen=True)
class ClientEventIn:
    """One decoded client event: the single door by which client events come in."""

    event: ev.ClientEvent


# --- inputs: the listener ----------------------------------------------------------


@dataclass(frozen=True)
class HeardStart:
    """The listener heard speech start (``audio_ms`` into the input stream)."""

    audio_ms: int


@dataclass(frozen=True)
class HeardPause:
    """A short silence (tentative end of turn): ``utterance`` so far, for speculation."""

    utterance: Float32Audio
    ended_at: float


@dataclass(frozen=True)
class HeardResume:
    """The user spoke again after a ``HeardPause``: the turn goes on."""


@dataclass(frozen=True)
class HeardStop:
    """The configured silence passed: the turn ended (no utterance in push-to-talk)."""

    audio_ms: int
    utterance: Float32Audio | None
    ended_at: float


@dataclass(frozen=True)
class HeardSpeaking:
    """After a frame while the user speaks: how long this speech has lasted."""

    speech_ms: float


@dataclass(frozen=True)
class AudioCut:
    """The answer to ``CutAudio``: the buffered audio, or None when there was none."""

    audio: Float32Audio | None
    event_id: str | None = None


# --- inputs: engines ------------------------------------------------------------------


@dataclass(frozen=True)
class Transcribed:
    job: int
    text: str
    stt_ms: float


@dataclass(frozen=True)
class TranscribeFailed:
    job: int
    error: str


@dataclass(frozen=True)
class BrainSaid:
    stream: str
    text: str


@dataclass(frozen=True)
class BrainDecided:
    stream: str
    decision: ToolCallDecision


@dataclass(frozen=True)
class BrainDone:
    stream: str


@dataclass(frozen=True)
class BrainFailed:
    stream: str
    error: str


@dataclass(frozen=True)
class SegmentStarted:
    """The speaker starts sending a synthesized sentence of ``duration_s``."""

    response_id: str
    text: str
    duration_s: float
    synth_ms: float


@dataclass(frozen=True)
class AudioSent:
    response_id: str
    seconds: float


@dataclass(frozen=True)
class PlayoutDone:
    """Every sentence was sent and has played out."""

    response_id: str


@dataclass(frozen=True)
class SpeakFailed:
    response_id: str
    error: str


@dataclass(frozen=True)
class TimerFired:
    key: str


@dataclass(frozen=True)
class EndRequested:
    """End the session (REST ended it, e.g. its agent was deleted)."""

    reason: str


@dataclass(frozen=True)
class Shutdown:
    """The server is stopping: stop work, close with 1001, keep the REST status."""


Input = (
    Started
    | Attached
    | ClientEventIn
    | HeardStart
    | HeardPause
    | HeardResume
    | HeardStop
    | HeardSpeaking
    | AudioCut
    | Transcribed
    | TranscribeFailed
    | BrainSaid
    | BrainDecided
    | BrainDone
    | BrainFailed
    | SegmentStarted
    | AudioSent
    | PlayoutDone
    | SpeakFailed
    | TimerFired
    | EndRequested
    | Shutdown
)

# --- commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class Emit:
    """Number, file and send this server event."""

    event: Any


@dataclass(frozen=True)
class Fail:
    """Send the ``error`` event of ``error``; close the socket when it is fatal."""

    error: ProtocolError


@dataclass(frozen=True)
class SaveState:
    turns_used: int
    greeted: bool


@dataclass(frozen=True)
class PrepareBrain:
    """Let the brain read the agent's prompt before the first turn."""


@dataclass(frozen=True)
class ConfigureListener:
    settings: TurnDetection


@dataclass(frozen=True)
class CutAudio:
    """Take all buffered input audio (push-to-talk commit); answer with ``AudioCut``."""

    event_id: str | None = None


@dataclass(frozen=True)
class ClearAudio:
    pass


@dataclass(frozen=True)
class Transcribe:
    job: int
    audio: Float32Audio


@dataclass(frozen=True)
class CancelTranscribe:
    job: int


@dataclass(frozen=True)
class StartBrain:
    stream: str
    history: list[Message] = field(default_factory=list)
    allow_tools: bool = True


@dataclass(frozen=True)
class CancelBrain:
    stream: str


@dataclass(frozen=True)
class StartSpeaking:
    """Open a speaker for a response: output audio at ``rate`` with this generation."""

    response_id: str
    generation: int
    rate: int
    hold: bool = False


@dataclass(frozen=True)
class Speak:
    response_id: str
    text: str


@dataclass(frozen=True)
class ReleaseSpeaking:
    """A held speaker may send its audio now."""

    response_id: str


@dataclass(frozen=True)
class FinishSpeaking:
    """No more sentences: play out what is queued, then report ``PlayoutDone``."""

    response_id: str


@dataclass(frozen=True)
class StopSpeaking:
    """Stop at once; nothing more is sent."""

    response_id: str


@dataclass(frozen=True)
class SetTimer:
    key: str
    delay_s: float


@dataclass(frozen=True)
class CancelTimer:
    key: str


@dataclass(frozen=True)
class MarkEnded:
    """Move the REST status (before the client hears ``session.ended``)."""

    reason: str


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


Command = (
    Emit
    | Fail
    | SaveState
    | PrepareBrain
    | ConfigureListener
    | CutAudio
    | ClearAudio
    | Transcribe
    | CancelTranscribe
    | StartBrain
    | CancelBrain
    | StartSpeaking
    | Speak
    | ReleaseSpeaking
    | FinishSpeaking
    | StopSpeaking
    | SetTimer
    | CancelTimer
    | MarkEnded
    | Close
)
