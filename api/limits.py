"""Request body size limit, enforced before the body reaches a handler."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 1_000_000


def _detail(max_bytes: int) -> str:
    return (
        f"the request body is larger than {max_bytes:,} bytes; send less "
        "(split documents, or ingest files with POST /v1/ingest/files)"
    )


class _TooLarge(HTTPException):
    """Raised while reading a streamed body; the app's handler turns it into a 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _detail(max_bytes))


class BodyLimitMiddleware:
    """Answer 413 when Content-Length, or the bytes actually received, exceed the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": "payload_too_large",
                "detail": _detail(self.max_bytes),
            },
            separators=(",", ":"),  # as the app's own JSON errors are written
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
