"""Commands served by the wings (ingest, api, tui) and the evaluation harness.

Each command module imports its wing inside the command body, so ``mlkb --help``
stays fast and never loads torch, FastAPI or Textual.
"""

from __future__ import annotations

import typer

from mlkb.cli import eval_cmds, ingest_cmds, serve_cmds, snapshot_cmds, tui_cmds


def register(app: typer.Typer) -> None:
    """Add the wing commands to the app."""
    ingest_cmds.register(app)
    serve_cmds.register(app)
    tui_cmds.register(app)
    eval_cmds.register(app)
    snapshot_cmds.register(app)
