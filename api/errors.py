"""Every error leaves the API as JSON ``{"error": <code>, "detail": <message>}``.

The core's ``MlkbError`` carries its own HTTP status and code; request validation
becomes 422 ``invalid_request`` with the first problem spelled out in ``detail`` and all
of them in ``problems``; a body that is not JSON is a 400 ``malformed_json``; anything
unexpected is a 500 ``internal`` whose detail names no internals (the traceback goes to
the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.params import UNKNOWN, suggestion
from mlkb.errors import AuthError, MlkbError
from mlkb.problems import problems

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
    421: "misdirected_request",
    422: "invalid_request",
    429: "too_many_requests",
}


class WritesDisabled(AuthError):
    """The server has no write key, so it accepts no writes."""

    http_status = 403
    code = "writes_disabled"


class FilesOutsideRoot(MlkbError):
    """A file ingest over the API that names files the server may not read."""

    http_status = 403
    code = "files_forbidden"


class InvalidRequest(MlkbError):
    """A request whose parameters or body fail validation."""

    http_status = 422
    code = "invalid_request"


class MalformedBody(MlkbError):
    """A body that cannot be read as JSON."""

    http_status = 400
    code = "malformed_json"


class UnsupportedMediaType(MlkbError):
    """A body sent as something other than JSON."""

    http_status = 415
    code = "unsupported_media_type"


def error_response(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    problems: list[dict[str, str]] | None = None,
) -> JSONResponse:
    """The one error shape; validation errors add ``problems``, one per invalid field."""
    body: dict[str, Any] = {"error": code, "detail": detail}
    if problems is not None:
        body["problems"] = problems
    return JSONResponse(body, status_code=status, headers=headers)


_SCOPES = ("body", "query", "path", "header")


def validation_problems(errors: list[Any]) -> list[dict[str, str]]:
    """Every validation problem as ``{"loc": "metrics.auc", "msg": ...}``, one per place.
    An unknown field beside a missing one is most likely that one misnamed (``q`` for
    ``query``), and says so."""
    found = problems(errors, scopes=_SCOPES, unknown_field=_UNKNOWN_FIELD)
    missing = frozenset(p["loc"] for p in found if p["msg"] == _MISSING)
    hinted = []
    for problem in found if missing else []:
        hint = suggestion(problem["loc"], missing) if problem["msg"] == _UNKNOWN_FIELD else ""
        if hint.startswith("; did you mean"):
            problem["msg"] = UNKNOWN + hint
            hinted.append(problem)
    return hinted + [p for p in found if p not in hinted]  # the likely fix comes first


_UNKNOWN_FIELD = UNKNOWN + " (misspelt? /docs lists them)"
_MISSING = "Field required"


def describe_validation(errors: list[Any]) -> str:
    """The first validation problem as one line: where, what, and how many more."""
    problems = validation_problems(errors)
    if not problems:
        return "the request is invalid"
    first = problems[0]
    more = len(problems) - 1
    suffix = f" (and {more} more {'problem' if more == 1 else 'problems'}, see problems)"
    return f"{first['loc']}: {first['msg']}{suffix if more else ''}"


def invalid_request(errors: list[Any]) -> JSONResponse:
    """A 422 listing every problem."""
    return error_response(
        422,
        InvalidRequest.code,
        describe_validation(errors),
        problems=validation_problems(errors),
    )


CLIENT_HEADER = "X-Mlkb-Client"
"""Sent as ``cli`` by mlkb's own client (the CLI and TUI through a running server), whose
users are told the CLI's fix rather than a route's."""


async def _mlkb_error(request: Request, exc: MlkbError) -> JSONResponse:
    headers = {"WWW-Authenticate": "ApiKey"} if exc.http_status == 401 else None
    edge = "cli" if request.headers.get(CLIENT_HEADER) == "cli" else "api"
    return error_response(exc.http_status, exc.code, exc.said_to(edge), headers)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    bad_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        loc = bad_json.get("loc", ())
        where = f" at character {loc[-1]}" if loc and isinstance(loc[-1], int) else ""
        reason = (bad_json.get("ctx") or {}).get("error", "not JSON")
        return error_response(400, MalformedBody.code, f"malformed JSON{where}: {reason}")
    return invalid_request(errors)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _methods_at(request: Request, path: str) -> list[str]:
    """The methods some route accepts at ``path``, found by asking the router."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "path": path, "method": method})[0] is Match.FULL
            for route in routes
        )
    ]


def _route_hint(request: Request) -> str:
    """A pointer to the route meant: the path without its trailing slash, or one below it."""
    path = request.url.path
    bare = path.rstrip("/")
    if bare and bare != path and request.method in _methods_at(request, bare):
        return f"; drop the trailing slash: {bare}"
    below = sorted(p for p in request.app.openapi()["paths"] if p.startswith(bare + "/"))
    if bare and 0 < len(below) <= 2:
        return f"; did you mean {' or '.join(below)}?"
    return "; see /docs for the API"


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}{_route_hint(request)}"
    elif exc.status_code == 405:
        allowed = _methods_at(request, request.url.path)
        headers["Allow"] = ", ".join(allowed)
        use = " or ".join(allowed)
        detail = f"{request.method} is not allowed on {request.url.path}; use {use}"
    return error_response(exc.status_code, code, detail, headers or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", "the server failed unexpectedly; see its log")


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(MlkbError, _mlkb_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
