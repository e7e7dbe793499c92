"""The app factory: REST routes under ``/v1``, MCP at ``/mcp``, metrics, limits, errors."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api import docs_pages, errors
from api.auth import HEADER
from api.hosts import HostCheckMiddleware, mcp_transport_security, origin_allowed
from api.jobs import JobRunner
from api.limits import DEFAULT_MAX_BODY, BodyLimitMiddleware
from api.mcp_tools import build_mcp
from api.metrics import Metrics, MetricsMiddleware
from api.params import refuse_unknown_query_params
from api.routes import documents, ingest, items, recipes, search, service
from api.schemas import ErrorOut
from mlkb import __version__
from mlkb.kb import KnowledgeBase
from mlkb.settings import Settings

DESCRIPTION = """\
Search and curate ML engineering know-how: recipes (problem, context, proven solution)
and the literature they come from. Writes need `X-API-Key` (the server's `MLKB_API_KEY`);
reads need it only when the server sets `MLKB_API_READ_KEY`. Bodies are JSON (send
`Content-Type: application/json`). Errors are JSON `{"error": <code>, "detail": <message>}`,
plus `problems` (every invalid field) on a 422. A server bound to a loopback address
answers only to `localhost`, `127.0.0.1` and `[::1]`. MCP tools for agents are served at
`/mcp` (streamable HTTP, stateless: POST only).
"""


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A body that is not JSON (malformed, not UTF-8)."},
    413: {"model": ErrorOut, "description": "The body is larger than the limit (1 MB)."},
    415: {"model": ErrorOut, "description": "A body sent as something other than JSON."},
    421: {"model": ErrorOut, "description": "A Host this server does not answer to."},
    422: {"model": ErrorOut, "description": "Invalid parameters or body."},
}


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    kb: KnowledgeBase | None = None,
    host: str = "127.0.0.1",
    max_body_bytes: int = DEFAULT_MAX_BODY,
) -> FastAPI:
    """Build the service.

    ``kb``: an open knowledge base the caller owns (``mlkb serve`` opens it before binding
    so a locked store fails fast); without it the app opens one at start-up and closes it
    at shutdown. ``host``: the address served; on a loopback address the app answers only
    to loopback names, guarding against DNS rebinding (``api.hosts``).
    """
    settings = settings or Settings()
    mcp = build_mcp(lambda: app.state.kb, settings)
    mcp_endpoint = _McpEndpoint(mcp_transport_security(host, settings.cors_origins))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        owned = kb is None
        app.state.kb = kb if kb is not None else KnowledgeBase(settings)
        # A session manager runs once; a fresh one per start keeps the app restartable.
        mcp.streamable_http_app(
            streamable_http_path="/mcp",
            stateless_http=True,
            json_response=True,
            transport_security=mcp_endpoint.security,
            max_request_body_size=max_body_bytes,
        )
        mcp_endpoint.handler = StreamableHTTPASGIApp(mcp.session_manager)
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            app.state.jobs.close()
            if owned:
                app.state.kb.close()

    app = FastAPI(
        title="mlkb",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        responses=COMMON_ERRORS,
        redirect_slashes=False,  # a redirect is no answer for an API client; 404 names the path
        dependencies=[Depends(refuse_unknown_query_params)],
        docs_url=None,  # served from this machine by api.docs_pages, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.kb = kb
    app.state.metrics = Metrics()
    app.state.jobs = JobRunner(
        lambda source, params, progress, stop: _ingest(app.state.kb, source, params, progress, stop)
    )
    errors.install(app)
    docs_pages.install(app)
    for module in (search, items, recipes, documents, ingest, service):
        app.include_router(module.router)
    app.router.routes.append(Route("/mcp", endpoint=mcp_endpoint, name="mcp"))

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=[HEADER, "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(HostCheckMiddleware, bind=host)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


class _McpEndpoint:
    """ASGI endpoint for ``/mcp`` that forwards to the running session manager.

    The transport is stateless: it has no session to stream events of (GET) or to end
    (DELETE), so only POST is served; the SDK would hold a GET open forever. The SDK's own
    refusals (a foreign Origin, a body not sent as JSON) are plain text; they are answered
    here first, as JSON errors like the rest of the API."""

    handler: ASGIApp | None = None

    def __init__(self, security: TransportSecuritySettings) -> None:
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope)
        if refusal is None and self.handler is None:
            refusal = errors.error_response(503, "unavailable", "MCP is not running yet")
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        assert self.handler is not None
        await self.handler(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        if scope["method"] != "POST":
            return errors.error_response(
                405,
                "method_not_allowed",
                f"{scope['method']} is not allowed on /mcp; MCP clients POST JSON-RPC "
                "messages here (streamable HTTP, stateless)",
                headers={"Allow": "POST"},
            )
        headers = Headers(scope=scope)
        if not headers.get("content-type", "").lower().startswith("application/json"):
            return errors.error_response(
                415,
                "unsupported_media_type",
                "MCP messages are JSON-RPC: send them with Content-Type: application/json",
            )
        origin = headers.get("origin")
        if origin and not origin_allowed(origin, self.security):
            return errors.error_response(
                403,
                "forbidden",
                f"a page from {origin[:100]} may not call /mcp on this server; "
                "allow its origin with MLKB_CORS_ORIGINS",
            )
        return None


def _ingest(
    kb: KnowledgeBase, source: str, params: dict[str, Any], progress: Any, stop: Any
) -> Any:
    """Run one ingest through the ingest wing (imported here: it pulls in the sources)."""
    import ingest as ingest_wing

    return ingest_wing.run(kb, source, params, progress=progress, stop=stop)
