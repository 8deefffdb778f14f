"""Everything the client raises, under one root.

::

    NurError
    ├── NurConfigError                 no API key given and NUR_API_KEY unset, bad base URL
    └── APIError                       something went wrong talking to the API
        ├── APIConnectionError         no answer: refused, reset, DNS, TLS ...
        │   └── APITimeoutError        no answer in time
        └── APIStatusError             an error answer: status_code, request_id, body, param
            ├── BadRequestError        400, 413, 415, 422: rejected input; ``param`` names it
            ├── AuthenticationError    401: missing, unknown or revoked key
            ├── PermissionDeniedError  403
            ├── NotFoundError          404: no such object (or another account's)
            ├── ConflictError          409
            ├── RateLimitError         429
            └── InternalServerError    5xx

``ValidationError`` is another name for ``BadRequestError``.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "NurConfigError",
    "NurError",
    "PermissionDeniedError",
    "RateLimitError",
    "ValidationError",
    "status_error",
]


class NurError(Exception):
    """The root of every error this package's API client raises."""


class NurConfigError(NurError):
    """The client cannot be built as configured (for example: no API key)."""


class APIError(NurError):
    """A request to the API failed; ``request`` is the httpx request, when there was one."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The API could not be reached or the connection broke before an answer."""


class APITimeoutError(APIConnectionError):
    """The API did not answer within the client's timeout."""


class APIStatusError(APIError):
    """The API answered with an error status.

    ``body`` is the parsed JSON body (or the text when it is not JSON); ``type``,
    ``code`` and ``param`` come from its ``error`` object when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.request_id: str | None = response.headers.get("x-request-id")
        self.body = body
        self.type = error_type
        self.code = code
        self.param = param

    def __str__(self) -> str:
        where = f" (param: {self.param})" if self.param else ""
        request_id = f" [request {self.request_id}]" if self.request_id else ""
        return f"{self.status_code} {self.message}{where}{request_id}"


class BadRequestError(APIStatusError):
    """The API rejected the input; ``param`` names the offending parameter."""


ValidationError = BadRequestError


class AuthenticationError(APIStatusError):
    """401: the API key is missing, unknown or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such object for this key."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the object's state."""


class RateLimitError(APIStatusError):
    """429: too many requests; the client retries these with backoff."""


class InternalServerError(APIStatusError):
    """5xx: the API failed; the client retries these with backoff."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: BadRequestError,
    415: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
}


def status_error(response: httpx.Response) -> APIStatusError:
    """The exception for an error response, with the server's message and parameter."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        message = str(detail.get("message") or response.reason_phrase)
        error_type, code, param = detail.get("type"), detail.get("code"), detail.get("param")
    else:
        message = (body if isinstance(body, str) and body else response.reason_phrase) or "error"
        error_type = code = param = None
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    return cls(
        message[:2000],
        response=response,
        body=body,
        error_type=error_type if isinstance(error_type, str) else None,
        code=code if isinstance(code, str) else None,
        param=param if isinstance(param, str) else None,
    )
