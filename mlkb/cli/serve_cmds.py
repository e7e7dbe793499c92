"""``mlkb serve`` (REST API + MCP over HTTP) and ``mlkb mcp`` (MCP over stdio)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class LogLevel(StrEnum):
    """uvicorn's log levels."""

    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"
    trace = "trace"


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 picks a free one).")] = 8765,
    log_level: Annotated[LogLevel, typer.Option(help="uvicorn log level.")] = LogLevel.info,
) -> None:
    """Serve the REST API and MCP (at /mcp) for agents and the CLI.

    Writes need MLKB_API_KEY (unset: writes are refused); MLKB_API_READ_KEY protects reads.
    While it runs, `mlkb search`, `show`, `similar` and `recipe` go through it.

    Example: MLKB_API_KEY=$(openssl rand -hex 16) mlkb serve --port 8765
    """
    from mlkb.cli._common import _log_to_stderr, settings

    cfg = settings()
    _check_can_listen(host, port)  # before the store and the model load, not after
    _log_to_stderr()
    # FastAPI, uvicorn and the MCP SDK load here only (~0.5 s of imports).
    from api.server import serve as run

    run(cfg, host=host, port=port, log_level=log_level.value)


def _check_can_listen(host: str, port: int) -> None:
    """ConfigError unless ``host:port`` can be bound now (a taken port, an unknown address)."""
    import socket  # here, not at the CLI's start

    from mlkb.errors import ConfigError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise ConfigError(
            f"--host {host!r} is not an address of this machine; use 127.0.0.1 or 0.0.0.0"
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror}); "
                "pick another --port, or stop the process that uses it"
            ) from None


def mcp() -> None:
    """Serve the MCP tools over stdio, for an agent that starts mlkb itself.

    Goes through a running `mlkb serve` when there is one, else opens the store.

    Example (agent config): {"command": "mlkb", "args": ["mcp"]}
    """
    from api.server import serve_mcp_stdio  # the MCP SDK loads here only
    from mlkb.cli._common import open_kb, settings

    cfg = settings()
    with open_kb() as kb:
        serve_mcp_stdio(kb, cfg)


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(serve)
    app.command()(mcp)
