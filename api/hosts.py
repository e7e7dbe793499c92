"""Which ``Host`` headers the server answers: the guard against DNS rebinding.

A web page on ``evil.example.com`` can point its name at 127.0.0.1 and then read a local
server from the browser; the ``Host`` header still says ``evil.example.com``. So a server
bound to a loopback address answers only loopback names, on REST and MCP alike (the MCP
SDK's own rule for loopback binds, here also for names without a port). A server bound
to another address (``0.0.0.0`` in Docker) is meant to be reached by other names and
accepts any.
"""

from __future__ import annotations

from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

LOOPBACK_BINDS = frozenset({"127.0.0.1", "localhost", "::1"})
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(bind: str) -> list[str] | None:
    """Host header patterns a server bound to ``bind`` answers (``name:*`` is any port);
    None when it answers any host."""
    if bind not in LOOPBACK_BINDS:
        return None
    return [*_LOOPBACK_NAMES, *(f"{name}:*" for name in _LOOPBACK_NAMES)]


def mcp_transport_security(bind: str) -> TransportSecuritySettings | None:
    """The MCP transport's settings for the same decision (it also checks ``Origin``)."""
    hosts = allowed_hosts(bind)
    if hosts is None:
        return None
    origins = [f"http://{host}" for host in hosts]
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins)


def host_allowed(host: str, patterns: list[str]) -> bool:
    """True when ``host`` (as sent in the header) matches one of ``patterns``."""
    host = host.lower()
    for pattern in patterns:
        if pattern.endswith(":*"):
            name, _, port = host.rpartition(":")
            if name == pattern[:-2] and port.isdigit():
                return True
        elif host == pattern:
            return True
    return False


class HostCheckMiddleware:
    """Answer 421 to a request whose Host the server does not serve. A request without a
    Host header passes: no browser sends one, so it cannot be a rebinding attack."""

    def __init__(self, app: ASGIApp, bind: str) -> None:
        self.app = app
        self.bind = bind
        self.patterns = allowed_hosts(bind)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.patterns is not None and scope["type"] == "http":
            host = Headers(scope=scope).get("host")
            if host is not None and not host_allowed(host, self.patterns):
                response = error_response(
                    421,
                    "misdirected_request",
                    f"this server listens on {self.bind} and answers only to localhost, "
                    f"127.0.0.1 or [::1], not to Host '{host[:100]}'; to serve other names, "
                    "bind another address (mlkb serve --host 0.0.0.0)",
                )
                await response(scope, receive, send)
                return
            if host is not None and host != host.lower():
                # Host names are case-insensitive; the MCP SDK's own check is not.
                headers = [(k, v.lower() if k == b"host" else v) for k, v in scope["headers"]]
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
