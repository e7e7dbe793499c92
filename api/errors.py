"""Every error leaves the API as JSON ``{"error": <code>, "detail": <message>}``.

The core's ``MlkbError`` carries its own HTTP status and code; request validation
becomes 422 ``invalid_request`` with the first problem spelled out; anything unexpected
is a 500 ``internal`` whose detail names no internals (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlkb.errors import AuthError, MlkbError

log = logging.getLogger("mlkb.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


class WritesDisabled(AuthError):
    """The server has no write key, so it accepts no writes."""

    http_status = 403
    code = "writes_disabled"


class InvalidRequest(MlkbError):
    """A request whose parameters or body fail validation."""

    http_status = 422
    code = "invalid_request"


def error_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape."""
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def describe_validation(errors: list[Any]) -> str:
    """The first validation problem as one line: where, what, and how many more."""
    if not errors:
        return "the request is invalid"
    first = errors[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",)) or "body"
    msg = str(first.get("msg", "invalid value"))
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{loc}: {msg}{more}"


async def _mlkb_error(_: Request, exc: MlkbError) -> JSONResponse:
    headers = {"WWW-Authenticate": "ApiKey"} if exc.http_status == 401 else None
    return error_response(exc.http_status, exc.code, exc.message, headers)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(422, InvalidRequest.code, describe_validation(list(exc.errors())))


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such route; see /docs for the API"
    return error_response(exc.status_code, code, detail, getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "the server failed unexpectedly; see its log")


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(MlkbError, _mlkb_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
