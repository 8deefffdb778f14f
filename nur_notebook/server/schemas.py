"""The JSON shapes the REST API accepts and returns (pydantic models).

Request models forbid unknown fields and take JSON types strictly (``"30"`` is not an
integer); a string UTF-8 cannot store (a lone surrogate such as ``"\\ud800"``) is rejected
with an ``ApiError`` that names it, raised straight through pydantic. Checks that need the
server's catalog (voice, language) or cross-field rules (duplicate tool names) live in the
routes, so their errors name the exact parameter; the OpenAPI document states them too
(``enum``, ``pattern``, ``propertyNames``), so it says what the server really accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from nur_notebook.server.api_error import invalid
from nur_notebook.server.pipeline.voices import SUPPORTED_LANGUAGES, VOICES

VOICE_IDS = tuple(voice.voice_id for voice in VOICES)

MAX_TOOLS = 64
MAX_METADATA_KEYS = 50
#: A string with a character ``str.strip`` keeps, as a JSON Schema (ECMA-262) pattern: its
#: ``\s`` lacks some of Python's whitespace, added here by hand.
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]"
#: What ``_scalar_metadata`` accepts, for the OpenAPI document.
METADATA_SCHEMA: dict[str, Any] = {
    "maxProperties": MAX_METADATA_KEYS,
    "propertyNames": {"minLength": 1, "maxLength": 64},
    "additionalProperties": {
        "anyOf": [
            {"type": "string", "maxLength": 500},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
        ]
    },
}


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("string_too_short", "must not be empty")
    return value


def _scalar_metadata(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_METADATA_KEYS:
        raise PydanticCustomError("too_long", f"at most {MAX_METADATA_KEYS} keys are allowed")
    for key, item in value.items():
        if not key or len(key) > 64:
            raise PydanticCustomError("invalid_value", "keys must be 1-64 characters")
        if item is not None and not isinstance(item, str | int | float | bool):
            raise PydanticCustomError(
                "invalid_type", f"value of '{key}' must be a string, number, boolean or null"
            )
        if isinstance(item, str) and len(item) > 500:
            raise PydanticCustomError("too_long", f"value of '{key}' is over 500 characters")
    return value


NonBlank = Annotated[
    StrictStr,
    AfterValidator(_not_blank),
    Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN}),
]
ToolName = Annotated[StrictStr, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
ParamName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
JsonType = Literal["string", "number", "integer", "boolean", "object", "array"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Body(_Request):
    """A whole request body: every string in it must be encodable (no lone surrogates)."""

    @model_validator(mode="before")
    @classmethod
    def _encodable(cls, data: Any) -> Any:
        bad = _unencodable_path(data, "")
        if bad is not None:
            raise invalid(
                "Strings must be valid Unicode (this one has a lone surrogate).",
                code="invalid_value",
                param=bad or None,
            )
        return data


def _unencodable_path(value: Any, path: str) -> str | None:
    """The parameter path of the first string that UTF-8 cannot encode, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found = _unencodable_path(key, inner)
            if found is None:
                found = _unencodable_path(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unencodable_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


class ToolParameter(_Request):
    """One parameter of a tool: ``{"type": "string", "required": true}``."""

    type: JsonType
    required: StrictBool = False
    description: Annotated[StrictStr, Field(max_length=1024)] | None = None
    enum: list[StrictStr | float | StrictBool] | None = None
    items: dict[str, Any] | None = None


class ToolDefinition(_Request):
    """A tool the agent may call, in the API reference's shape."""

    name: ToolName
    description: Annotated[StrictStr, Field(max_length=4096)] = ""
    parameters: dict[ParamName, ToolParameter] = Field(default_factory=dict)


class AgentCreate(_Body):
    """Body of ``POST /v1/agents/create``."""

    name: Annotated[NonBlank, Field(max_length=200)]
    voice_id: Annotated[NonBlank, Field(json_schema_extra={"enum": list(VOICE_IDS)})]
    system_prompt: Annotated[NonBlank, Field(max_length=100_000)]
    language: Annotated[StrictStr, Field(json_schema_extra={"enum": list(SUPPORTED_LANGUAGES)})] = (
        "en"
    )
    tools: Annotated[list[ToolDefinition], Field(max_length=MAX_TOOLS)] | None = None
    max_turns: Annotated[int, Field(strict=True, ge=1, le=1000)] = 50


class SessionCreate(_Body):
    """Body of ``POST /v1/agents/{agent_id}/sessions`` (every field optional)."""

    agent_id: StrictStr | None = Field(
        default=None, description="Optional; must equal the agent id in the path if given."
    )
    metadata: (
        Annotated[
            dict[str, Any],
            AfterValidator(_scalar_metadata),
            Field(json_schema_extra=METADATA_SCHEMA),
        ]
        | None
    ) = None
    initial_message: Annotated[NonBlank, Field(max_length=4000)] | None = None


class Agent(BaseModel):
    """The Agent object."""

    id: str = Field(description="Unique agent identifier (prefixed with agt_)")
    name: str
    voice_id: str
    system_prompt: str
    language: str
    tools: list[ToolDefinition]
    max_turns: int
    created_at: str = Field(description="ISO 8601 creation timestamp (UTC, Z)")
    status: Literal["active", "paused", "deleted"]


class AgentList(BaseModel):
    """One page of agents, newest first."""

    data: list[Agent]
    has_more: bool
    next_offset: int | None = Field(description="Offset of the next page, or null")
    limit: int
    offset: int
    total: int


class AgentDeleted(BaseModel):
    """Answer to ``DELETE /v1/agents/{agent_id}``."""

    id: str
    deleted: bool
    ended_sessions: list[str] = Field(description="Sessions this deletion ended")


class Session(BaseModel):
    """The Session object."""

    session_id: str = Field(description="Unique session identifier (prefixed with ses_)")
    agent_id: str
    websocket_url: str
    created_at: str
    expires_at: str
    status: Literal["active", "ended", "expired"]


class Voice(BaseModel):
    """A voice this server can speak."""

    voice_id: str
    name: str
    languages: list[str]
    gender: str | None
    description: str


class VoiceList(BaseModel):
    """Answer to ``GET /v1/voices``."""

    data: list[Voice]


class TranscriptEntry(BaseModel):
    """One line of a session's transcript."""

    seq: int
    turn: int
    role: Literal["user", "agent"]
    text: str
    interrupted: bool
    response_id: str | None
    created_at: str


class TranscriptToolCall(BaseModel):
    """One tool call of a session (``output`` and the rest are null until it completes)."""

    call_id: str
    turn: int
    name: str
    arguments: dict[str, Any]
    output: Any = None
    is_error: bool | None
    duration_ms: float | None
    created_at: str


class SessionTranscript(BaseModel):
    """Answer to ``GET /v1/sessions/{session_id}/transcript`` (a local extension)."""

    object: Literal["session.transcript"]
    session_id: str
    agent_id: str
    status: Literal["active", "ended", "expired"]
    entries: list[TranscriptEntry]
    tool_calls: list[TranscriptToolCall]
    metrics: list[dict[str, Any]] = Field(description="Per-turn latencies in ms (null: not run)")


class ErrorDetail(BaseModel):
    """What went wrong."""

    type: str
    code: str
    message: str
    param: str | None


class ErrorBody(BaseModel):
    """Every error response."""

    error: ErrorDetail
