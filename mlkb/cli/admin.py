"""``mlkb seed``, ``stats``, ``export``, ``import``, ``reindex``, ``rm``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlkb.cli._common import console, open_kb, print_json

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def seed(as_json: JsonOpt = False) -> None:
    """Sync the curated recipes shipped with mlkb: add new ones, refresh changed ones, drop
    ones no longer shipped. Recipes you added or edited are kept.

    Example: mlkb seed
    """
    from mlkb.seeds import shipped_recipes

    recipes = shipped_recipes()
    with open_kb(local_only=True) as kb:
        results = kb.add_recipes(recipes, source="seed", replace=True)
        removed = kb.remove_stale_seeds({r.id for r in recipes})
    counts = {
        s: sum(1 for r in results if r.status.value == s) for s in ("new", "updated", "unchanged")
    }
    counts["removed"] = len(removed)
    if as_json:
        print_json(counts)
    else:
        console.print(", ".join(f"{v} {k}" for k, v in counts.items()))


def stats(as_json: JsonOpt = False) -> None:
    """Counts by kind, area and source, and where the store lives.

    Example: mlkb stats --json
    """
    from mlkb.cli._render import stats_table

    with open_kb() as kb:
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
) -> None:
    """Write every recipe, document and chunk to a JSON Lines file.

    Example: mlkb export backup.jsonl
    """
    from mlkb.transfer import export_store

    with open_kb(local_only=True) as kb:
        if path == "-":
            count = export_store(kb, sys.stdout, vectors=vectors)
        else:
            target = Path(path)
            tmp = target.with_name(target.name + ".part")
            with tmp.open("w", encoding="utf-8") as out:
                count = export_store(kb, out, vectors=vectors)
            tmp.replace(target)
    if path != "-":
        console.print(f"exported {count} points to {path}")


def import_(
    path: Annotated[Path, typer.Argument(help="A file written by `mlkb export`.")],
) -> None:
    """Load an export; all lines are checked first and nothing is written if one is broken.

    Example: mlkb import backup.jsonl
    """
    from mlkb.transfer import import_store

    with open_kb(local_only=True) as kb:
        report = import_store(kb, path)
    how = "re-embedded" if report.reembedded else "vectors reused"
    console.print(
        f"imported {report.points} points ({report.recipes} recipes, "
        f"{report.documents} documents; {how})"
    )


def reindex() -> None:
    """Re-embed everything with the current MLKB_EMBED_MODEL (after changing the model).

    Example: MLKB_EMBED_MODEL=BAAI/bge-small-en-v1.5 mlkb reindex
    """
    from mlkb.transfer import reindex as run

    with open_kb(check_model=False, local_only=True) as kb:
        report = run(kb)
    console.print(f"reindexed {report.points} points with {kb.embedder.name}")


def rm(item_id: Annotated[str, typer.Argument(help="A recipe or document id.")]) -> None:
    """Remove a recipe, or a document with all its chunks.

    Example: mlkb rm arxiv:1706.03762
    """
    with open_kb() as kb:
        kb.delete(item_id)
    console.print(f"removed  {item_id}")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(seed)
    app.command()(stats)
    app.command()(export)
    app.command("import")(import_)
    app.command()(reindex)
    app.command()(rm)
