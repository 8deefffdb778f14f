"""Configuration of the local Nur server: one plain dataclass.

Other parts of the server add their own fields here; keep every field defaulted so
``ServerConfig(data_dir=...)`` always works. What engines to load is one field, an
``EngineOptions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from nur_notebook.protocol.data_dir import DataFiles
from nur_notebook.server.pipeline.options import EngineOptions

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787

#: Latency features a server can run without, to measure what each one buys
#: (``nur-notebook serve --off NAME``; ``bench/voice_latency.py --compare``):
#: ``shared-prefix``: sessions of an agent version copy its evaluated prompt instead of
#: evaluating it again; ``speculation``: transcribing and thinking start during the
#: end-of-turn silence; ``first-clause``: the first clause of a reply is spoken as soon as
#: it is complete; ``short-window``: Whisper encodes a window sized to the utterance (at
#: least 15 s) instead of its padded 30 s (docs/engines.md); ``jump-forward``: the reply
#: envelope's fixed parts (``{"say": "``) are evaluated in one step, not a step a token;
#: ``next-turn``: once a reply is generated, the next turn's opening (up to the user's words)
#: is evaluated while the user listens; ``listen-ahead``: after every second of speech,
#: the words so far are transcribed and evaluated while the user goes on speaking.
SPEED_FEATURES = (
    "shared-prefix",
    "speculation",
    "first-clause",
    "short-window",
    "jump-forward",
    "next-turn",
    "listen-ahead",
)


def default_data_dir() -> Path:
    """Where the server keeps its database and key unless told otherwise."""
    return Path(platformdirs.user_data_dir("nur-notebook")) / "server"


@dataclass
class ServerConfig:
    """Everything ``create_app`` needs to build a server.

    Example::

        config = ServerConfig(data_dir=Path("/tmp/nur"), port=0)
        app = create_app(config)
    """

    data_dir: Path = field(default_factory=default_data_dir)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    # Limits
    #: Largest request body accepted, in bytes (larger bodies get 413).
    max_body_bytes: int = 1_048_576
    #: How long a session may be used after it is created.
    session_ttl_seconds: int = 3600

    # Engines
    #: Load the offline speech and language engines (False: REST only, sessions refuse
    #: to talk). Tests of the REST API and tooling that never talks turn them off.
    engines: bool = True
    #: Which engines to load and how (the brain, Whisper, the LLM's threads, slots and
    #: prefix cells): ``nur-notebook serve`` sets them from its options.
    engine_options: EngineOptions = field(default_factory=EngineOptions)
    #: Latency features switched off (names from ``SPEED_FEATURES``).
    features_off: frozenset[str] = frozenset()

    # Sessions
    #: Silence after speech that ends a user turn (a session may change it).
    vad_silence_ms: int = 600
    #: How long a tool call waits for the client's result before it becomes an error.
    tool_timeout_ms: int = 15_000

    # Start-up
    #: Create an API key (and write ``<data_dir>/api_key``) when none is usable.
    bootstrap_api_key: bool = True

    # Lifetime
    #: Stop (as on SIGTERM) once no kernel registered in ``<data_dir>/kernels/`` has been
    #: alive for this many seconds (None: run until stopped). The notebook starts its
    #: server with it (``--exit-when-unused``); see ``server/kernels.py``.
    exit_when_unused: float | None = None

    def feature(self, name: str) -> bool:
        """Whether the latency feature ``name`` (one of ``SPEED_FEATURES``) is on."""
        if name not in SPEED_FEATURES:
            raise ValueError(f"unknown feature {name!r}; one of {', '.join(SPEED_FEATURES)}")
        return name not in self.features_off

    @property
    def files(self) -> DataFiles:
        """The files of ``data_dir``: the database, the first API key, ``server.json``."""
        return DataFiles.under(self.data_dir)
