"""``mlkb recipe add|validate|list|rm|new``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlkb.cli._common import JsonOpt, console, err_console, open_kb, print_json
from mlkb.vocab import Area

app = typer.Typer(
    help="Curated recipes: add, validate, list, remove, and a template.", no_args_is_help=True
)

PathsArg = Annotated[list[Path], typer.Argument(help="YAML files or folders of them.")]

TEMPLATE = """\
id: my-recipe-slug            # lowercase letters, digits, hyphens; unique
title: One line that names the problem and the fix
# area: data, features, training, evaluation, optimization, serving, monitoring, mlops,
#       responsible-ai or llm
area: monitoring
problem: >-
  Two to five sentences, phrased as a practitioner would ask it.
context:
  domain: [e-commerce]
  modality: tabular
  scale: 10M rows/day
  constraints: [label delay of 7 days]
symptoms:
  - What one observes
solution: |
  1. First step.
  2. Second step.
architecture: Optional model or pipeline shape
hyperparameters:
  threshold: "0.2 (PSI)"
metrics:
  psi: "< 0.1 stable"
pitfalls:
  - What goes wrong
tools: [evidently]
references:
  - title: A paper or documentation page
    url: https://example.org/docs
tags: [drift]
version: 1
"""


@app.command("new")
def new() -> None:
    """Print a recipe template to fill in.

    Example: mlkb recipe new > seeds/recipes/monitoring/my-recipe.yaml
    """
    typer.echo(TEMPLATE, nl=False)


@app.command("validate")
def validate(paths: PathsArg, as_json: JsonOpt = False) -> None:
    """Check recipe files without touching the store; exit 1 if any is invalid.

    Example: mlkb recipe validate seeds/
    """
    from rich.markup import escape

    from mlkb.seeds import load_recipes

    report = load_recipes(paths)
    if as_json:
        print_json({"valid": len(report.recipes), "errors": report.errors})
    else:
        for error in report.errors:
            err_console.print(f"[red]✗[/] {escape(error)}", markup=True, highlight=False)
        console.print(f"{len(report.recipes)} valid, {len(report.errors)} invalid")
    if report.errors:
        raise typer.Exit(1)


@app.command("add")
def add(
    paths: PathsArg,
    replace: Annotated[bool, typer.Option(help="Replace recipes whose id exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add recipes from YAML; nothing is added unless every file is valid.

    Example: mlkb recipe add my-recipe.yaml
    """
    from mlkb.errors import InvalidRecipe
    from mlkb.seeds import load_recipes

    report = load_recipes(paths)
    if report.errors:
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise InvalidRecipe(report.errors[0] + more + "; nothing was added")
    with open_kb() as kb:
        results = kb.add_recipes(report.recipes, source="user", replace=replace)
    if as_json:
        print_json([r.model_dump(mode="json") for r in results])
        return
    for result in results:
        console.print(f"{result.status.value:>9}  {result.id}", markup=False)


@app.command("list")
def list_(
    area: Annotated[Area | None, typer.Option(help="Only this area.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only recipes with this tag.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """List recipes by area.

    Example: mlkb recipe list --area monitoring
    """
    with open_kb() as kb:
        recipes, total = kb.list_recipes(area=area.value if area else None, tag=tag, limit=limit)
    if as_json:
        print_json(
            {
                "total": total,
                "items": [
                    {"id": r.id, "title": r.title, "area": r.area.value, "tags": r.tags}
                    for r in recipes
                ],
            }
        )
        return
    import itertools

    from rich.text import Text

    if not recipes:
        console.print("[yellow]No recipes[/]" + (" match these filters." if area or tag else "."))
        return
    # Grouped by area, ids whole (to copy into `mlkb show`); titles give way to the width.
    id_width = max(len(r.id) for r in recipes)
    title_room = console.width - id_width - 4
    for name, group in itertools.groupby(recipes, key=lambda r: r.area.value):
        members = list(group)
        console.print(f"[bold]{name}[/] [dim]({len(members)})[/]")
        for r in members:
            title = r.title if len(r.title) <= title_room else r.title[: title_room - 1] + "…"
            line = Text.assemble("  ", (r.id.ljust(id_width), "cyan"))
            if title_room >= 10:
                line.append(f"  {title}")
            console.print(line, soft_wrap=True)
    shown = f"{len(recipes)} of {total}" if len(recipes) < total else str(total)
    more = f"; more with --limit {total}" if len(recipes) < total else ""
    console.print(f"[dim]{shown} recipes{more}[/]")


@app.command("rm")
def rm(recipe_id: Annotated[str, typer.Argument(help="The recipe's id.")]) -> None:
    """Remove a recipe.

    Example: mlkb recipe rm my-recipe-slug
    """
    from mlkb.errors import NotFound
    from mlkb.schema import Recipe

    with open_kb() as kb:
        if not isinstance(kb.get(recipe_id), Recipe):
            raise NotFound(
                f"'{recipe_id}' is a document, not a recipe; documents go with `mlkb rm`"
            )
        kb.delete(recipe_id)
    console.print(f"removed  {recipe_id}", markup=False)
