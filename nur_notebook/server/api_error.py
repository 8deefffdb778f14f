"""The API's error: one exception type the routes raise, and its constructors.

``ApiError`` answers as ``{"error": {"type", "code", "message", "param"}}``; ``type`` is
the broad class (``invalid_request_error``, ``authentication_error``, ``not_found_error``,
``api_error``), ``code`` the precise reason. ``errors.py`` turns it (and every other
failure) into the JSON response; auth and the routes only raise it.
"""

from __future__ import annotations

from typing import Any

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
NOT_FOUND = "not_found_error"
API_ERROR = "api_error"


class ApiError(Exception):
    """An error the API reports to the caller as JSON (raise it from any route)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str = INVALID_REQUEST,
        code: str,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.type = error_type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            }
        }


def invalid(message: str, *, code: str, param: str | None = None) -> ApiError:
    """A 400 for a request the server will not accept."""
    return ApiError(400, message, code=code, param=param)


def not_found(message: str, *, code: str, param: str | None = None) -> ApiError:
    """A 404; also what another account's objects look like."""
    return ApiError(404, message, error_type=NOT_FOUND, code=code, param=param)


def unauthorized(message: str, *, code: str) -> ApiError:
    """A 401 for a missing, malformed, unknown or revoked API key."""
    return ApiError(401, message, error_type=AUTHENTICATION, code=code)
