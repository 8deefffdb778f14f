"""The session WebSocket, ``/v1/sessions/{session_id}``, and the transcript route.

The handshake is accepted first and refused with a close code (so every client sees
the code, not an HTTP error): 4001 bad key, 4004 no such session for this key, 4010
ended or expired, 4011 resume rejected. Then frames go to the session's runtime until
either side closes. One connection per session: the runtime closes an older one (4009).
``client_stream`` names the client's numbered event stream (see ``acks.py``).

A hostile frame costs one log line: a text frame that is not UTF-8 is refused by the ASGI
server's WebSocket layer (close 1007), whose log record of it is cut to one line here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket

from nur_notebook.protocol import events as ev
from nur_notebook.protocol.errors import CloseCode, ErrorCode, ProtocolError
from nur_notebook.protocol.events import encode_event
from nur_notebook.server.api_error import not_found
from nur_notebook.server.auth import CurrentAccount, authenticate_bearer
from nur_notebook.server.realtime.acks import check_stream
from nur_notebook.server.realtime.connection import Connection
from nur_notebook.server.realtime.hub import SessionHub
from nur_notebook.server.realtime.runtime import SessionRuntime
from nur_notebook.server.routes.common import ERROR_RESPONSES
from nur_notebook.server.schemas import SessionTranscript

log = logging.getLogger(__name__)

router = APIRouter(tags=["sessions"])

#: Largest frame of any kind (transport limit); larger ones close the socket with 1009.
MAX_FRAME_BYTES = 1_048_576
#: Close code for a connect URL the server refuses to read (a malformed ``client_stream``).
POLICY_VIOLATION = 1008


def hub_of(app: Any) -> SessionHub:
    hub: SessionHub = app.state.realtime
    return hub


async def _refuse(websocket: WebSocket, code: int, message: str) -> None:
    await websocket.close(code=code, reason=message[:120])


def _resume_params(websocket: WebSocket) -> tuple[int | None, str | None]:
    raw_seq = websocket.query_params.get("last_seq")
    token = websocket.query_params.get("resume_token")
    if raw_seq is None:
        return None, None
    if not raw_seq.isdigit():
        raise ProtocolError(
            ErrorCode.INVALID_STATE,
            f"last_seq must be a non-negative integer, got {raw_seq!r}",
            close_code=CloseCode.RESUME_REJECTED,
        )
    return int(raw_seq), token


@router.websocket("/v1/sessions/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str) -> None:
    """A live voice session (see docs/protocol.md)."""
    hub = hub_of(websocket.app)
    await websocket.accept()
    account = authenticate_bearer(hub.store, websocket.headers.get("authorization"))
    if account is None:
        return await _refuse(websocket, CloseCode.UNAUTHORIZED, "missing or invalid API key")
    record = hub.store.get_session(session_id, account_id=account.account_id)
    if record is None:
        return await _refuse(websocket, CloseCode.SESSION_NOT_FOUND, "no such session")
    if record.status != "active":
        return await _refuse(websocket, CloseCode.SESSION_GONE, f"session is {record.status}")
    agent = hub.store.get_agent(record.agent_id, account_id=account.account_id)
    if agent is None:
        return await _refuse(websocket, CloseCode.SESSION_GONE, "the session's agent is deleted")
    if hub.host.state == "loading":
        await websocket.send_text(encode_event(ev.SessionLoading(stage=hub.host.stage)))
    if await hub.host.ready() is None:
        message = hub.host.error or "this server runs without speech engines"
        error = ev.Error(code=ErrorCode.ENGINES_UNAVAILABLE, message=message, fatal=True)
        await websocket.send_text(encode_event(error))
        return await _refuse(websocket, CloseCode.INTERNAL_ERROR, "engines unavailable")
    try:
        stream = check_stream(websocket.query_params.get("client_stream"))
    except ProtocolError as exc:
        error = ev.Error(code=exc.code, message=exc.message, fatal=True)
        await websocket.send_text(encode_event(error))
        return await _refuse(websocket, POLICY_VIOLATION, exc.message)
    conn = Connection(websocket, client_stream=stream)
    try:
        last_seq, token = _resume_params(websocket)
        runtime = await hub.runtime_for(record, agent)
        await runtime.attach(conn, last_seq=last_seq, resume_token=token)
    except ProtocolError as exc:
        await conn.abort()
        error = ev.Error(code=exc.code, message=exc.message, fatal=True)
        await websocket.send_text(encode_event(error))
        return await _refuse(websocket, exc.close_code or CloseCode.INTERNAL_ERROR, exc.message)
    try:
        await _pump(websocket, runtime, conn)
    finally:
        runtime.detach(conn)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(conn.wait_closed(), timeout=0.5)
        await conn.abort()


async def _pump(websocket: WebSocket, runtime: SessionRuntime, conn: Connection) -> None:
    """Feed the client's frames to the runtime until the socket closes."""
    while conn.close_code is None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text, data = message.get("text"), message.get("bytes")
        size = len(text.encode("utf-8")) if text is not None else len(data or b"")
        if size > MAX_FRAME_BYTES:
            conn.close(CloseCode.MESSAGE_TOO_BIG, "frame over 1 MiB")
            return
        try:
            if text is not None:
                await runtime.on_text(text)
            elif data is not None:
                await runtime.on_bytes(data)
        except Exception as exc:  # a bug must not take the server or other sessions down
            log.exception("session %s: handling a frame failed", runtime.info.session_id)
            await runtime.failed(exc)
            return


@router.get(
    "/v1/sessions/{session_id}/transcript",
    summary="Get Session Transcript",
    response_model=SessionTranscript,
    responses=ERROR_RESPONSES,
)
async def session_transcript(session_id: str, account: CurrentAccount, request: Request) -> Any:
    """The session's transcript entries, tool calls and per-turn metrics (local extension)."""
    hub = hub_of(request.app)
    record = hub.store.get_session(session_id, account_id=account.account_id)
    if record is None:
        raise not_found(f"No session '{session_id}'.", code="session_not_found", param="session_id")
    body = await asyncio.to_thread(hub.transcripts.transcript, session_id)
    body["status"] = record.status
    body["agent_id"] = record.agent_id
    return body


class _OneLineForBadText(logging.Filter):
    """The ASGI server logs a text frame that is not UTF-8 with a whole traceback: one
    client could fill a disk that way. Keep one line (the socket is closed with 1007)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Invalid UTF-8 sequence"):
            record.msg = "refused a session text frame that is not UTF-8 (closed with 1007)"
            record.args = ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def quiet_hostile_frames() -> None:
    """Install the one-line filter on the ASGI server's error log (once per process)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _OneLineForBadText) for f in logger.filters):
        logger.addFilter(_OneLineForBadText())
