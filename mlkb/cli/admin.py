"""``mlkb seed``, ``stats``, ``export``, ``import``, ``reindex``, ``rm``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlkb.cli._common import JsonOpt, console, open_kb, print_json


def seed(
    as_json: JsonOpt = False,
    restore: Annotated[
        bool, typer.Option("--restore", help="Bring back the curated recipes you removed.")
    ] = False,
) -> None:
    """Sync the curated recipes shipped with mlkb: add new ones, refresh changed ones, drop
    ones no longer shipped. Recipes you added or edited are kept, and curated ones you
    removed stay out (until --restore).

    Example: mlkb seed
    """
    from dataclasses import asdict

    from mlkb.seeding import sync_seeds

    with open_kb(local_only=True) as kb:
        report = sync_seeds(kb, restore=restore)
    counts = asdict(report)
    if as_json:
        print_json(counts)
        return
    line = ", ".join(f"{v} {k}" for k, v in counts.items() if k != "kept_out")
    if report.kept_out:
        line += f"; {report.kept_out} you removed kept out (`mlkb seed --restore` adds them)"
    console.print(line, markup=False, soft_wrap=True)


def stats(as_json: JsonOpt = False) -> None:
    """Counts by kind, area and source, and where the store lives.

    Example: mlkb stats --json
    """
    from mlkb.cli._render import stats_table

    # No model check: a store built with another model is when its stats are wanted most.
    with open_kb(check_model=False) as kb:
        data = kb.stats()
    if as_json:
        print_json(data)
    else:
        console.print(stats_table(data))


def export(
    path: Annotated[str, typer.Argument(help="Output .jsonl file, or - for stdout.")],
    vectors: Annotated[
        bool, typer.Option(help="Carry dense vectors (bigger, faster import).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Replace the file if it exists.")] = False,
) -> None:
    """Write every recipe, document and chunk to a JSON Lines file; an existing file is
    kept unless --force.

    Example: mlkb export backup.jsonl
    """
    from mlkb.cli._common import refuse_to_overwrite
    from mlkb.transfer import export_store

    target = Path(path)
    if path != "-":
        refuse_to_overwrite(target, force, "backup.jsonl")
    with open_kb(local_only=True) as kb:
        if path == "-":
            count = export_store(kb, sys.stdout, vectors=vectors)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            try:
                with tmp.open("w", encoding="utf-8") as out:
                    count = export_store(kb, out, vectors=vectors)
                tmp.replace(target)
            except OSError as exc:  # named as the user named it, not as the .part file
                raise OSError(exc.errno, exc.strerror, str(target)) from None
            finally:
                tmp.unlink(missing_ok=True)  # only left if the export failed
    if path != "-":
        console.print(f"exported {count} points to {path}", markup=False)


def import_(
    path: Annotated[Path, typer.Argument(help="A file written by `mlkb export`.")],
) -> None:
    """Load an export; all lines are checked first and nothing is written if one is broken.

    Example: mlkb import backup.jsonl
    """
    from mlkb.errors import Interrupted
    from mlkb.transfer import import_store

    with open_kb(local_only=True) as kb:
        try:
            report = import_store(kb, path)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted: the points written so far are kept; run `mlkb import {path}` "
                "again to finish (they are skipped)"
            ) from None
    if report.unchanged == report.points:
        console.print(f"nothing to import: all {report.points} points are stored as they are")
        return
    how = "re-embedded" if report.reembedded else "vectors reused"
    written = report.points - report.unchanged
    of = f" of {report.points}" if report.unchanged else ""
    same = f"; {report.unchanged} were already stored as they are" if report.unchanged else ""
    console.print(
        f"imported {written}{of} points ({report.recipes} recipes, "
        f"{report.documents} documents; {how}){same}",
        soft_wrap=True,
    )


def reindex() -> None:
    """Re-embed everything with the current MLKB_EMBED_MODEL (after changing the model).

    Example: MLKB_EMBED_MODEL=BAAI/bge-small-en-v1.5 mlkb reindex
    """
    from mlkb.transfer import reindex as run

    with open_kb(check_model=False, local_only=True) as kb:
        report = run(kb)
    console.print(f"reindexed {report.points} points with {kb.embedder.name}", markup=False)


def rm(item_id: Annotated[str, typer.Argument(help="A recipe or document id.")]) -> None:
    """Remove a recipe, or a document with all its chunks.

    Example: mlkb rm arxiv:1706.03762
    """
    with open_kb() as kb:
        kb.delete(item_id)
    console.print(f"removed  {item_id}", markup=False)


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(seed)
    app.command()(stats)
    app.command()(export)
    app.command("import")(import_)
    app.command()(reindex)
    app.command()(rm)
