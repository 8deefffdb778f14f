"""The Nur API client: ``NurClient`` (blocking) and ``AsyncNurClient`` over httpx.

from nur_notebook.client import NurClient

client = NurClient()          # api_key= or NUR_API_KEY; base_url= or NUR_BASE_URL
agent = client.agents.create(name="Support", voice_id="rachel_v2",
                             system_prompt="You are a friendly support agent.")
"""

from __future__ import annotations

from nur_notebook.client.client import AsyncNurClient, NurClient
from nur_notebook.client.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    NurConfigError,
    NurError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from nur_notebook.client.types import Agent, AgentDeleted, Page, Session, Tool, Voice

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "Agent",
    "AgentDeleted",
    "AsyncNurClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "NurClient",
    "NurConfigError",
    "NurError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "Session",
    "Tool",
    "ValidationError",
    "Voice",
]
