"""`mlkb tui` commands (registered by mlkb.cli.wings)."""

from __future__ import annotations

import typer


def tui() -> None:
    """Browse and search the knowledge base in a terminal UI.

    Search as you type, read a recipe in full, jump to similar problems (s), browse recipes
    by area (b); ? lists every key. Uses a running `mlkb serve` when there is one.

    Example: mlkb tui
    """
    # Textual and the app load only here (~0.3 s), so `mlkb --help` stays fast.
    from mlkb.cli._common import settings
    from tui import MlkbApp, open_knowledge_base

    MlkbApp(lambda: open_knowledge_base(settings())).run()


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("tui")(tui)
