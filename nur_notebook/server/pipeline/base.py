"""The small interfaces every engine of the voice pipeline implements.

The pipeline is VAD -> STT -> brain -> TTS. Each stage is one base class with one
abstract hook; engines live beside this module and are chosen by ``registry.py``.
Engines are blocking (they run native code); the session runtime calls them on worker
threads (its executor) so the event loop keeps serving sockets.

Audio inside the server is always 16 kHz mono float32 in [-1, 1] on the way in, and
mono int16 at the engine's own ``sample_rate`` on the way out (the session runtime
resamples to the session's output format).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from nur_notebook.protocol.pcm import INPUT_RATE, Int16Audio, Samples

Float32Audio = Samples
INPUT_SAMPLE_RATE = INPUT_RATE


class VAD(abc.ABC):
    """Voice activity detection on fixed-size frames of 16 kHz float32 audio."""

    #: Samples per frame this engine expects (Silero: 512 = 32 ms).
    frame_samples: int = 512
    name: str = "vad"

    @abc.abstractmethod
    def speech_probability(self, frame: Float32Audio) -> float:
        """Probability in [0, 1] that ``frame`` (exactly ``frame_samples`` long) is speech."""

    def reset(self) -> None:
        """Forget recurrent state between utterances or sessions (stateless engines: no-op)."""
        return None

    def fresh(self) -> VAD:
        """A new instance with its own state, for another session (stateful engines override)."""
        return self


class STT(abc.ABC):
    """Speech to text for one finished utterance."""

    name: str = "stt"

    @abc.abstractmethod
    def transcribe(self, audio: Float32Audio, *, language: str, hints: str | None = None) -> str:
        """The text spoken in ``audio`` (16 kHz mono float32), normalised for the brain.

        ``hints`` is text the speaker is likely to use (an agent's tool words), which an
        engine may use to prime its decoder; engines without such a feature ignore it.
        """

    def transcribe_ahead(
        self, audio: Float32Audio, *, language: str, hints: str | None = None
    ) -> str:
        """The words so far of speech still going on, if the engine is free now; "" when
        it is busy (a finished utterance goes first). Only a head start for the brain:
        engines may trade accuracy for speed here. By default, ``transcribe``."""
        return self.transcribe(audio, language=language, hints=hints)

    @property
    def busy(self) -> bool:
        """Whether the engine is transcribing now (False when it cannot tell)."""
        return False

    def supports(self, language: str) -> bool:
        return language == "en"


@dataclass(frozen=True)
class ToolSpec:
    """A tool the agent may call, in the seed's shape.

    ``parameters`` maps each parameter name to ``{"type": ..., "required": bool,
    "description": ..., "enum": [...]}`` exactly as the API stores it.
    """

    name: str
    description: str
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One entry of the conversation the brain sees.

    ``role`` is ``user``, ``agent``, ``tool_call`` (the agent asked for a tool:
    ``name`` and ``arguments`` set) or ``tool_result`` (``name``, ``content`` with the
    output as JSON text, ``is_error``).
    """

    role: Literal["user", "agent", "tool_call", "tool_result"]
    content: str = ""
    name: str | None = None
    arguments: dict[str, Any] | None = None
    is_error: bool = False


@dataclass(frozen=True)
class SayDelta:
    """A piece of the agent's spoken reply, streamed while it is generated."""

    text: str


@dataclass(frozen=True)
class ToolCallDecision:
    """The brain decided to call ``name`` with schema-valid ``arguments``."""

    name: str
    arguments: dict[str, Any]

    def tool(self, tools: list[ToolSpec]) -> ToolSpec | None:
        """The tool of ``tools`` this call names (None if none does)."""
        return next((t for t in tools if t.name == self.name), None)


BrainEvent = SayDelta | ToolCallDecision


@dataclass(frozen=True)
class BrainRequest:
    """What the brain is asked for one move of a conversation.

    The agent's ``system_prompt``, ``tools`` and ``language``, and the ``history`` so far.
    ``session`` names the conversation, so an engine can keep its evaluated prompt
    between turns. With ``allow_tools`` False the prompt still lists the tools (the
    cached prompt stays valid) but the reply must be spoken.
    """

    system_prompt: str
    tools: list[ToolSpec]
    language: str
    history: list[Message] = field(default_factory=list)
    session: str | None = None
    allow_tools: bool = True


class Brain(abc.ABC):
    """Decides the agent's next move: say something, or call one of the agent's tools."""

    name: str = "brain"

    def prepare(self, request: BrainRequest) -> None:
        """A session is about to talk: get ready for its first turn (returns at once).

        Engines that keep a prompt cache evaluate the system message here (the
        request's history is not read); by default there is nothing to do.
        """
        return None

    def prepare_next_turn(self, session: str) -> None:
        """The session's last reply is synthesized: get ready for its next turn (returns at
        once). Engines that keep a prompt cache evaluate the conversation up to the
        user's next words; by default there is nothing to do."""
        return None

    @property
    def busy(self) -> bool:
        """Whether a reply is being generated or waits now (False when it cannot tell)."""
        return False

    #: Whether ``listen_ahead`` does anything (else nobody transcribes speech for it).
    reads_ahead: bool = False

    def listen_ahead(self, request: BrainRequest, heard: str) -> None:
        """The user is still speaking and has said ``heard`` so far (after the request's
        history): get ready for that turn (returns at once). Engines that keep a prompt
        cache evaluate those words; by default there is nothing to do."""
        return None

    @abc.abstractmethod
    def respond(self, request: BrainRequest) -> Iterator[BrainEvent]:
        """Stream the next move.

        Yields either ``SayDelta`` pieces (the reply, in order) or exactly one
        ``ToolCallDecision``. Closing the generator early (barge-in) stops generation.
        Engines are thread-safe: sessions call them concurrently.
        """


@dataclass(frozen=True)
class Voice:
    """A voice this server can speak, with the engine that speaks it."""

    voice_id: str
    name: str
    engine: str
    languages: tuple[str, ...]
    gender: str | None = None
    description: str = ""


class TTS(abc.ABC):
    """Text to speech for one sentence at a time."""

    name: str = "tts"
    sample_rate: int = 22_050

    @abc.abstractmethod
    def synthesize(self, text: str, *, voice_id: str, language: str) -> Int16Audio:
        """Mono int16 audio at ``self.sample_rate`` speaking ``text``."""

    @property
    def busy(self) -> bool:
        """Whether the engine is synthesizing now (False when it cannot tell)."""
        return False

    @abc.abstractmethod
    def voices(self) -> list[Voice]:
        """The voices this engine speaks."""
