"""Load the voice pipeline's engines once per server, from options.

    >>> engines = load_engines(EngineOptions(), progress=print)  # doctest: +SKIP
    >>> engines.description()  # doctest: +SKIP
    {'vad': 'silero', 'stt': 'faster-whisper tiny.en', 'brain': 'llama-cpp ...', 'tts': ...}

Heavy models (Whisper, the LLM, the Piper voice) load here exactly once and are shared
by every session; each session takes its own ``engines.vad.fresh()`` because Silero
keeps per-session state.
``progress`` is called with a stage name before each stage so the server can report
loading ("weights", "vad", "stt", "brain", "tts", "ready").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from nur_notebook.server.pipeline import weights
from nur_notebook.server.pipeline.base import STT, TTS, VAD, Brain
from nur_notebook.server.pipeline.options import EngineOptions
from nur_notebook.server.pipeline.tts_router import RouterTTS
from nur_notebook.server.pipeline.vad import make_vad

Stage = Literal["weights", "vad", "stt", "brain", "tts", "ready"]
ProgressCallback = Callable[[Stage], None]


@dataclass
class Engines:
    """The loaded engines, shared by every session: the one engines type of the server.

    ``vad`` is a prototype: each session takes ``new_vad()`` (Silero keeps state).
    ``tts`` routes by voice and language; ``tts_for`` names the engine that will speak
    (its ``sample_rate`` is the rate of that audio). ``names`` says what was loaded
    (``/health`` reports it).
    """

    vad: VAD
    stt: STT
    brain: Brain
    tts: RouterTTS
    names: dict[str, str] = field(default_factory=dict)
    #: Held by the one session listening ahead (``SessionRuntime``): one at a time.
    ahead_gate: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, *, vad: VAD, stt: STT, brain: Brain, tts: RouterTTS) -> Engines:
        """Engines named after what they are (``description`` or ``name``)."""
        names = {"vad": vad.name, "stt": _describe(stt), "brain": _describe(brain)}
        return cls(vad=vad, stt=stt, brain=brain, tts=tts, names={**names, "tts": _describe(tts)})

    def idle(self) -> bool:
        """Whether no engine is working for anyone now (a head start may use the CPU)."""
        return not (self.stt.busy or self.brain.busy or self.tts.busy)

    def new_vad(self) -> VAD:
        """A VAD with its own state, for one session."""
        return self.vad.fresh()

    def tts_for(self, voice_id: str, language: str) -> TTS:
        """The engine that speaks ``voice_id`` in ``language``."""
        return self.tts.engine_for(voice_id, language)

    def description(self) -> dict[str, str]:
        """Engine names per stage, for status endpoints."""
        return dict(self.names)


def _describe(engine: object) -> str:
    text = getattr(engine, "description", None)
    return text if isinstance(text, str) else str(getattr(engine, "name", type(engine).__name__))


def load_engines(
    options: EngineOptions | None = None, *, progress: ProgressCallback | None = None
) -> Engines:
    """Verify the weights and load every engine ``options`` names (None: the defaults)
    once; see the module docstring."""
    options = options or EngineOptions()

    def report(stage: Stage) -> None:
        if progress is not None:
            progress(stage)

    report("weights")
    weights.offline_guard()
    weights.passive_threads()
    report("vad")
    prototype = make_vad(options.vad)

    report("stt")
    from nur_notebook.server.pipeline.stt import WhisperSTT

    stt = WhisperSTT.load(
        multilingual=options.multilingual_stt,
        english=options.stt_model,
        window_s=options.stt_window_s,
    )

    report("brain")
    brain: Brain
    if options.brain_url:
        from nur_notebook.server.pipeline.brain_openai import OpenAICompatibleBrain

        brain = OpenAICompatibleBrain(
            base_url=options.brain_url, model=options.brain_model, api_key=options.brain_api_key
        )
    else:
        from nur_notebook.server.pipeline.brain_llama import LlamaBrain

        brain = LlamaBrain.load(
            n_threads=options.llm_threads,
            n_ctx=options.llm_context,
            slots=options.llm_slots,
            prefix_cells=options.llm_prefix_cells,
            jump=options.llm_jump,
            warm_next_turn=options.llm_warm_next_turn,
        )

    report("tts")
    from nur_notebook.server.pipeline.tts_espeak import EspeakTTS

    piper = None
    if options.piper:
        from nur_notebook.server.pipeline.tts_piper import PiperTTS

        piper = PiperTTS.load()
    tts = RouterTTS(piper=piper, espeak=EspeakTTS.load())

    report("ready")
    return Engines.of(vad=prototype, stt=stt, brain=brain, tts=tts)
