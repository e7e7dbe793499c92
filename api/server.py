"""Running the service: ``mlkb serve`` (REST + MCP over HTTP) and ``mlkb mcp`` (stdio)."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from api.hosts import is_loopback
from mlkb.kb import KnowledgeBase
from mlkb.remote import announce, withdraw
from mlkb.schema import SearchRequest
from mlkb.settings import Settings

log = logging.getLogger("mlkb.api")


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once it listens (and on which port) and once it has
    stopped. uvicorn re-raises SIGTERM/SIGINT after shutting down, so clean-up that must
    happen (closing the store, withdrawing the announcement) runs in ``shutdown``."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_started: Callable[[int], None],
        on_stopped: Callable[[], None],
    ) -> None:
        super().__init__(config)
        self._on_started = on_started
        self._on_stopped = on_stopped

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers:
            port = int(self.servers[0].sockets[0].getsockname()[1])
            self._on_started(port)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().shutdown(sockets)
        finally:
            self._on_stopped()


def client_url(host: str, port: int) -> str:
    """The URL a local client uses to reach a server bound to ``host``."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def startup_notes(settings: Settings, host: str) -> list[str]:
    """What a person starting the server should know: writes, read protection, exposure."""
    notes = []
    if settings.api_key is None:
        notes.append("writes are disabled: MLKB_API_KEY is not set (set it to accept writes)")
    if not is_loopback(host) and settings.api_read_key is None:
        notes.append(
            f"listening on {host} without MLKB_API_READ_KEY: anyone who can reach "
            "this address can read the knowledge base"
        )
    return notes


def warm_up(kb: KnowledgeBase) -> None:
    """Load the query model and touch the store, so the first request is fast. Twice: the
    first query of a process runs on a light ONNX session, the second builds the optimized
    one a server keeps."""
    for _ in range(2):
        kb.search(SearchRequest(query="warm up the query path", k=1))


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    log_level: str = "info",
    echo: Callable[[str], Any] | None = None,
) -> None:
    """Open the store, warm up, serve until interrupted; announce the URL for local clients."""
    from api.app import create_app

    say = echo or (lambda text: print(text, file=sys.stderr, flush=True))
    kb = KnowledgeBase(settings)  # takes the embedded store's lock, or fails naming the holder
    closed = False

    def stop() -> None:
        nonlocal closed
        if not closed:
            closed = True
            withdraw(settings)
            kb.close()

    try:
        warm_up(kb)
        app = create_app(settings, kb=kb, host=host)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=log_level == "debug",
            timeout_graceful_shutdown=5,
            lifespan="on",
        )

        def started(bound_port: int) -> None:
            url = client_url(host, bound_port)
            announce(settings, url)
            say(f"mlkb serving on {url} (API docs {url}/docs, MCP {url}/mcp)")
            for note in startup_notes(settings, host):
                say(f"note: {note}")

        _Server(config, started, stop).run()
    finally:
        stop()


def serve_mcp_stdio(kb: Any, settings: Settings) -> None:
    """Serve the MCP tools over stdin/stdout for a local agent."""
    import anyio

    from api.mcp_tools import build_mcp

    server = build_mcp(lambda: kb, settings)
    anyio.run(server.run_stdio_async)
