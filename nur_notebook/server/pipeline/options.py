"""Which engines a server loads, and how: one frozen dataclass, set once at start-up.

``nur-notebook serve`` builds it from its options and the server config carries it
(``ServerConfig.engine_options``); ``load_engines`` reads it. It holds no engine code, so
the config and the command line can import it without loading any model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nur_notebook.server.pipeline.llama_slots import DEFAULT_PREFIX_CELLS


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
    piper: bool = True
    llm_threads: int = 2
    llm_context: int = 8192
    llm_slots: int = 4
    llm_prefix_cells: int = DEFAULT_PREFIX_CELLS
