"""`mlkb serve` commands (registered by mlkb.cli.wings)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
