"""Sessions: start one for an agent (``POST /v1/agents/{agent_id}/sessions``) and read it.

The session's ``websocket_url`` points at this server's session endpoint, on the host
and port the request came in on (``ws://`` on plain HTTP, ``wss://`` on HTTPS).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request

from nur_notebook.server.api_error import invalid, not_found
from nur_notebook.server.auth import CurrentAccount
from nur_notebook.server.ids import iso_utc
from nur_notebook.server.routes.agents import agent_not_found
from nur_notebook.server.routes.common import ERROR_RESPONSES, config_of, hooks_of, store_of
from nur_notebook.server.schemas import Session, SessionCreate
from nur_notebook.server.store import SessionRecord

log = logging.getLogger(__name__)

router = APIRouter(tags=["sessions"], responses=ERROR_RESPONSES)


def websocket_url(request: Request, session_id: str) -> str:
    """Where a client opens the session's WebSocket, as seen from this request."""
    scheme = "wss" if request.url.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{request.url.netloc}/v1/sessions/{session_id}"


def session_out(record: SessionRecord, request: Request) -> dict[str, Any]:
    """The Session object for a stored session."""
    return {
        "session_id": record.session_id,
        "agent_id": record.agent_id,
        "websocket_url": websocket_url(request, record.session_id),
        "created_at": iso_utc(record.created_at),
        "expires_at": iso_utc(record.expires_at),
        "status": record.status,
    }


@router.post("/v1/agents/{agent_id}/sessions", response_model=Session, summary="Create Session")
async def create_session(
    agent_id: str,
    account: CurrentAccount,
    request: Request,
    body: SessionCreate | None = None,
) -> Any:
    """Start a session with an agent; it expires one hour after creation."""
    body = body or SessionCreate()
    if body.agent_id is not None and body.agent_id != agent_id:
        raise invalid(
            f"Body agent_id '{body.agent_id}' does not match the path's '{agent_id}'.",
            code="agent_id_mismatch",
            param="agent_id",
        )
    store = store_of(request)
    agent = store.get_agent(agent_id, account_id=account.account_id)
    if agent is None:
        raise agent_not_found(agent_id)
    record = store.create_session(
        account.account_id,
        agent_id=agent_id,
        metadata=body.metadata or {},
        initial_message=body.initial_message,
        ttl_seconds=config_of(request).session_ttl_seconds,
    )
    for hook in hooks_of(request).on_session_created:  # the brain warms up for it now
        try:
            await hook(record, agent)
        except Exception:
            log.exception("session-created hook failed for %s", record.session_id)
    return session_out(record, request)


@router.get("/v1/sessions/{session_id}", response_model=Session, summary="Get Session")
async def retrieve_session(session_id: str, account: CurrentAccount, request: Request) -> Any:
    """One session of the account, with its current status."""
    record = store_of(request).get_session(session_id, account_id=account.account_id)
    if record is None:
        raise not_found(f"No session '{session_id}'.", code="session_not_found", param="session_id")
    return session_out(record, request)
