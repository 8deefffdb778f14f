"""The server's error responses: one JSON shape for every failure, and request limits.

Every error is ``{"error": {"type", "code", "message", "param"}}`` with the request's
``x-request-id`` header. ``type`` is the broad class (``invalid_request_error``,
``authentication_error``, ``not_found_error``, ``api_error``), ``code`` the precise
reason (``unknown_voice``, ``missing_parameter``, ...) and ``param`` the offending
parameter (``voice_id``, ``tools[1].name``) or null.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nur_notebook.protocol.schema import field_path
from nur_notebook.server.api_error import API_ERROR, ApiError, invalid, not_found
from nur_notebook.server.auth import check_authorization
from nur_notebook.server.ids import REQUEST_PREFIX, new_id

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"


# Pydantic error types -> our error codes. Anything unlisted is "invalid_value".
_CODES: dict[str, str] = {
    "missing": "missing_parameter",
    "extra_forbidden": "unknown_parameter",
    "json_invalid": "invalid_json",
    "string_too_short": "empty_parameter",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than": "out_of_range",
    "string_pattern_mismatch": "invalid_format",
    "literal_error": "invalid_value",
    "enum": "invalid_value",
}
_TYPE_ERRORS = ("_type", "_parsing", "is_instance_of")


def param_path(loc: Sequence[int | str]) -> str | None:
    """``("body", "tools", 0, "name")`` -> ``"tools[0].name"``; None for the whole body."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return field_path(parts) or None


def from_validation_error(errors: Sequence[Any]) -> ApiError:
    """The first problem of a FastAPI/pydantic validation failure, as an ``ApiError``."""
    if not errors:
        return invalid("The request is invalid.", code="invalid_request")
    first = errors[0]
    kind = str(first.get("type", ""))
    param = param_path(first.get("loc", ()))
    if kind == "json_invalid":
        return invalid("The request body is not valid JSON.", code="invalid_json")
    if kind == "missing" and param is None:
        return invalid("The request body is missing: send a JSON object.", code="missing_body")
    code = _CODES.get(kind) or ("invalid_type" if kind.endswith(_TYPE_ERRORS) else "invalid_value")
    message = str(first.get("msg", "Invalid value"))
    if code == "missing_parameter":
        message = f"Missing required parameter '{param}'."
    elif code == "unknown_parameter":
        message = f"Unknown parameter '{param}'."
    elif param is not None:
        message = f"Invalid '{param}': {message[:1].lower()}{message[1:]}."
    elif code == "invalid_type":
        message = "The request body must be a JSON object."
    return invalid(message.replace("..", "."), code=code, param=param)


def error_response(error: ApiError, request: Request) -> JSONResponse:
    """The JSON response for ``error``, tagged with the request's id."""
    headers = {}
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc, request)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith("/v1/"):
        # FastAPI parses a JSON body before it runs the auth dependency: answer an
        # unauthenticated request with its 401 rather than with what is wrong in its body.
        try:
            check_authorization(request.app.state.store, request.headers.get("authorization"))
        except ApiError as error:
            return error_response(error, request)
    return error_response(from_validation_error(exc.errors()), request)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (not UTF-8, nested too deeply).
        error = invalid("The request body is not valid UTF-8 JSON.", code="invalid_json")
    elif exc.status_code == 404:
        error = not_found(f"No route {request.method} {request.url.path}.", code="unknown_route")
    elif exc.status_code == 405:
        error = ApiError(405, f"Method {request.method} not allowed here.", code="bad_method")
    else:
        error = ApiError(exc.status_code, str(exc.detail), code="http_error")
    return error_response(error, request)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    error = ApiError(
        500, "The server had an internal error.", error_type=API_ERROR, code="internal"
    )
    return error_response(error, request)


def install_error_handlers(app: FastAPI) -> None:
    """Make every failure of ``app`` answer in the API's error shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


class RequestContextMiddleware:
    """Pure ASGI middleware: a request id on every response, body size and type limits.

    Rejections happen before any route runs, so a rejected request changes nothing:
    bodies over ``max_body_bytes`` get 413, bodies that are not declared as JSON get 415.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_id(REQUEST_PREFIX, length=20)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(REQUEST_ID_HEADER, request_id)
            await send(message)

        headers = Headers(scope=scope)
        rejection = self._check_headers(headers)
        body: list[Message] | None = None
        if rejection is None and "content-length" not in headers and scope["method"] != "GET":
            body, rejection = await self._buffer(receive)
        if rejection is not None:
            await error_response(rejection, Request(scope))(scope, receive, send_with_id)
            return
        if body is not None:
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_id)

    def _check_headers(self, headers: Headers) -> ApiError | None:
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return invalid("Malformed Content-Length header.", code="bad_content_length")
            if int(length) > self.max_body_bytes:
                return self._too_large()
            if int(length) == 0:
                return None
        elif "transfer-encoding" not in headers:
            return None
        content_type = headers.get("content-type", "application/json")
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            return ApiError(
                415,
                f"Request bodies must be JSON (Content-Type: application/json), not '{media}'.",
                code="unsupported_media_type",
            )
        return None

    async def _buffer(self, receive: Receive) -> tuple[list[Message], ApiError | None]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return messages, self._too_large()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return messages, None

    def _too_large(self) -> ApiError:
        return ApiError(
            413,
            f"Request body is over the limit of {self.max_body_bytes} bytes.",
            code="body_too_large",
        )


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
