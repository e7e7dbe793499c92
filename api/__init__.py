"""mlkb's api wing: the REST API and MCP server behind ``mlkb serve``."""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
