"""The session protocol as pure code: typed events, binary audio frames, seq/resume.

No sockets here: the server's endpoint and the Python session client both build on it,
and docs/protocol.md is its prose twin.
"""

from __future__ import annotations

from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.protocol.events import (
    ClientEvent,
    ServerEvent,
    UnknownEvent,
    decode_client_event,
    decode_server_event,
    encode_event,
)
from nur_notebook.protocol.frames import AudioFrame, FrameKind, decode_frame, encode_frame
from nur_notebook.protocol.replay import ReplayLog, SeqTracker
from nur_notebook.protocol.settings import SessionSettings, TurnDetection, apply_update

__all__ = [
    "AudioFrame",
    "ClientEvent",
    "CloseCode",
    "ErrorCode",
    "FrameKind",
    "ProtocolError",
    "ReplayLog",
    "SeqTracker",
    "ServerEvent",
    "SessionSettings",
    "TurnDetection",
    "UnknownEvent",
    "apply_update",
    "decode_client_event",
    "decode_frame",
    "decode_server_event",
    "encode_event",
    "encode_frame",
]
