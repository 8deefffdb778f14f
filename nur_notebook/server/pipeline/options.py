"""Which engines a server loads, and how: one frozen dataclass, set once at start-up.

``nur-notebook serve`` builds it from its options and the server config carries it
(``ServerConfig.engine_options``); ``load_engines`` reads it. It holds no engine code, so
the config and the command line can import it without loading any model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nur_notebook.server.pipeline.llama_slots import DEFAULT_PREFIX_CELLS

#: Whisper's shortest encoder window: as accurate as its padded 30 s on the speech bench,
#: in about 0.4x the time (docs/engines.md).
DEFAULT_STT_WINDOW_S = 15.0


@dataclass(frozen=True)
class EngineOptions:
    """Which engines to load.

    ``brain_url`` switches the brain from the local GGUF to an OpenAI-compatible
    endpoint (``brain_model`` and ``brain_api_key`` go with it). ``multilingual_stt``
    None loads the multilingual Whisper when its packages are installed.
    """

    vad: Literal["silero", "webrtc"] = "silero"
    brain_url: str | None = None
    brain_model: str = "qwen2.5-coder-1.5b-instruct"
    brain_api_key: str | None = None
    multilingual_stt: bool | None = None
    #: Whisper for English: ``tiny.en`` (fastest) or ``base`` (the multilingual base model,
    #: better on accents, noise and synthetic voices, about twice the time).
    stt_model: Literal["tiny.en", "base"] = "tiny.en"
    #: Whisper's shortest encoder window in seconds (None: always its padded 30 s).
    stt_window_s: float | None = DEFAULT_STT_WINDOW_S
    piper: bool = True
    llm_threads: int = 2
    llm_context: int = 8192
    llm_slots: int = 4
    llm_prefix_cells: int = DEFAULT_PREFIX_CELLS
    #: Evaluate the reply envelope's fixed parts in one decode step with the token before.
    llm_jump: bool = True
    #: Evaluate the next turn's opening (up to the user's words) as soon as a reply ends.
    llm_warm_next_turn: bool = True
