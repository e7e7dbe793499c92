"""Routes that take a JSON body check it is one before FastAPI reads it.

FastAPI hands a body with another Content-Type to validation as raw bytes ("Input should
be a valid dictionary") and answers undecodable bytes with a vague 400; these checks
name the problem instead. A malformed JSON text is caught later, in ``api.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.errors import MalformedBody, UnsupportedMediaType

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def is_json(content_type: str | None) -> bool:
    """True for ``application/json`` and ``application/<anything>+json``, any parameters."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def check_json_body(request: Request) -> None:
    """Raise UnsupportedMediaType or MalformedBody for a body that cannot be JSON. An empty
    body passes: validation says whether one was required."""
    body = await request.body()  # cached on the request; FastAPI reads the same bytes
    if not body:
        return
    content_type = request.headers.get("content-type")
    if not is_json(content_type):
        sent = f"as {content_type[:100]}" if content_type else "without a Content-Type"
        raise UnsupportedMediaType(
            f"the body must be JSON, and was sent {sent}; send Content-Type: application/json"
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"the body is not UTF-8 (byte 0x{body[exc.start]:02x} at position {exc.start}); "
            "send JSON encoded as UTF-8"
        ) from None


class JsonBodyRoute(APIRoute):
    """An APIRoute whose handler first runs :func:`check_json_body` when it takes a body."""

    def get_route_handler(self) -> Handler:
        handler: Handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request) -> Response:
            await check_json_body(request)
            return await handler(request)

        return checked
