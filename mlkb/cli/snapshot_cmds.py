"""``mlkb snapshot create|restore``: the whole embedded store in one file, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

snapshot_app = typer.Typer(
    help="Copy the whole embedded store into one .tar.gz file, and restore it.",
    no_args_is_help=True,
)


@snapshot_app.command("create")
def create(
    path: Annotated[Path, typer.Argument(help="The snapshot file to write (.tar.gz).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    force: Annotated[bool, typer.Option(help="Replace the file if it exists.")] = False,
) -> None:
    """Write a consistent copy of the embedded store (stop any running `mlkb serve`
    first); an existing file is kept unless --force.

    Example: mlkb snapshot create backups/mlkb-$(date +%F).tar.gz
    """
    from dataclasses import asdict

    from mlkb.cli._common import console, print_json, refuse_to_overwrite, settings
    from mlkb.snapshot import create_snapshot

    refuse_to_overwrite(path, force, "mlkb-backup.tar.gz")
    info = create_snapshot(settings(), path)
    if as_json:
        print_json(asdict(info))
    else:
        console.print(
            f"snapshot of {info.points} points ({info.model}) written to {path}", markup=False
        )


@snapshot_app.command("restore")
def restore(
    path: Annotated[Path, typer.Argument(help="A file written by `mlkb snapshot create`.")],
    force: Annotated[bool, typer.Option(help="Replace a store that holds points.")] = False,
) -> None:
    """Replace the embedded store with a snapshot; a non-empty store needs --force.

    Example: mlkb snapshot restore backups/mlkb-2024-06-01.tar.gz --force
    """
    from mlkb.cli._common import console, settings
    from mlkb.snapshot import restore_snapshot

    info = restore_snapshot(settings(), path, force=force)
    console.print(
        f"restored {info.points} points ({info.model}, taken {info.created})", markup=False
    )


def register(app: typer.Typer) -> None:
    """Add ``mlkb snapshot`` to the app."""
    app.add_typer(snapshot_app, name="snapshot")
