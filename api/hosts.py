"""Which ``Host`` headers the server answers: the guard against DNS rebinding.

A web page on ``evil.example.com`` can point its name at 127.0.0.1 and then read a local
server from the browser; the ``Host`` header still says ``evil.example.com``. So a server
bound to a loopback address answers only loopback names, on REST and MCP alike (the MCP
SDK's own rule for loopback binds, here also for names without a port, and for all of
127.0.0.0/8). A server bound to another address (``0.0.0.0`` in Docker) is meant to be
reached by other names and accepts any.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(bind: str) -> bool:
    """``localhost`` or an address in 127.0.0.0/8 or ::1."""
    if bind.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_names(bind: str) -> list[str]:
    """The names a loopback-bound server answers to: the usual three and its own address."""
    own = f"[{bind.strip('[]')}]" if ":" in bind else bind.lower()
    return [*_LOOPBACK_NAMES, *([own] if own not in _LOOPBACK_NAMES else [])]


def allowed_hosts(bind: str) -> list[str] | None:
    """Host header patterns a server bound to ``bind`` answers (``name:*`` is any port);
    None when it answers any host."""
    if not is_loopback(bind):
        return None
    names = loopback_names(bind)
    return [*names, *(f"{name}:*" for name in names)]


def mcp_transport_security(
    bind: str, cors_origins: Sequence[str] = ()
) -> TransportSecuritySettings:
    """The MCP transport's settings for the same decision. It also checks ``Origin``:
    loopback pages and the origins allowed by ``MLKB_CORS_ORIGINS``. Stated in full for
    other binds too, since the SDK left to itself guards loopback names whatever the bind."""
    hosts = allowed_hosts(bind)
    if hosts is None:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    origins = [*(f"http://{host}" for host in hosts), *cors_origins]
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


def origin_allowed(origin: str, security: TransportSecuritySettings) -> bool:
    """True when the MCP transport would accept ``origin`` (``scheme://name:*`` is any port)."""
    if not security.enable_dns_rebinding_protection or origin in security.allowed_origins:
        return True
    base, _, port = origin.rpartition(":")
    return port.isdigit() and f"{base}:*" in security.allowed_origins


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
                    f"this server listens on {self.bind} and answers only to "
                    f"{', '.join(loopback_names(self.bind))}, not to Host '{host[:100]}'; "
                    "to serve other names, bind another address (mlkb serve --host 0.0.0.0)",
                )
                await response(scope, receive, send)
                return
            if host is not None and host != host.lower():
                # Host names are case-insensitive; the MCP SDK's own check is not.
                headers = [(k, v.lower() if k == b"host" else v) for k, v in scope["headers"]]
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
