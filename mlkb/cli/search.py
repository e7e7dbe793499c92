"""``mlkb search``, ``mlkb show``, ``mlkb similar``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from mlkb.cli._common import JsonOpt, open_kb, print_json
from mlkb.vocab import Area, Kind, SearchMode

DATE = ["%Y-%m-%d"]
OffsetOpt = Annotated[
    int, typer.Option(min=0, max=1000, help="Hits to skip: the next page's start.")
]
KOpt = Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="Number of hits.")]


def search(
    query: Annotated[str, typer.Argument(help="What you are trying to solve.")],
    kind: Annotated[list[Kind] | None, typer.Option(help="Only this kind (repeatable).")] = None,
    area: Annotated[list[Area] | None, typer.Option(help="Only this recipe area.")] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Only this source (arxiv, hf, url, …).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Only items with this tag.")] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=DATE, help="Only documents published on or after (YYYY-MM-DD)."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=DATE, help="Only documents published on or before (YYYY-MM-DD)."),
    ] = None,
    k: KOpt = 10,
    offset: OffsetOpt = 0,
    mode: Annotated[SearchMode, typer.Option(help="hybrid, dense or sparse.")] = SearchMode.hybrid,
    as_json: JsonOpt = False,
) -> None:
    """Find recipes and documents about a problem.

    Example: mlkb search "drift detection for pricing" --kind recipe -k 5
    Example: mlkb search "drift detection for pricing" --offset 10  (the next ten hits)
    Example: mlkb search "lora fine-tuning" --kind paper --since 2024-01-01
    """
    from mlkb.cli._render import missing_filter_values, print_hits, result_json
    from mlkb.errors import InputError
    from mlkb.search import search_request

    if since and until and since > until:
        raise InputError(f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}; swap them")
    request = search_request(
        query=query,
        k=k,
        kind=kind or [],
        area=area or [],
        source=source or [],
        tag=tag or [],
        mode=mode,
        offset=offset,
        published_from=since.date() if since else None,
        published_to=until.date() if until else None,
    )
    with open_kb(to_search=mode is not SearchMode.sparse) as kb:
        result = kb.search(request)
        # An empty answer to a filter no item matches: say which value, and what there is.
        # Past the last page, only when the first page is empty too.
        empty = not result.hits and (
            not offset or not kb.search(request.model_copy(update={"offset": 0, "k": 1})).hits
        )
        absent = missing_filter_values(request, kb.stats()) if empty else None
    if as_json:
        print_json(result_json(result))
    else:
        print_hits(result, absent)


def show(
    item_id: Annotated[
        str, typer.Argument(help="A recipe id or a document id (arxiv:1706.03762).")
    ],
    full: Annotated[bool, typer.Option(help="Print whole chunks, not their openings.")] = False,
    chunks: Annotated[
        int, typer.Option(min=0, help="Chunks of a document to print (0: all).")
    ] = 20,
    chunk: Annotated[
        int | None,
        typer.Option(min=0, help="Only the passage around this chunk of a document (a hit's)."),
    ] = None,
    around: Annotated[int, typer.Option(min=0, max=20, help="Chunks each side of --chunk.")] = 1,
    as_yaml: Annotated[
        bool,
        typer.Option("--yaml", help="A recipe as YAML to edit and add back with --replace."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print a recipe in full, or a document with its chunks and their provenance.

    Example: mlkb show drift-psi-pricing
    Example: mlkb show drift-psi-pricing --yaml > fix.yaml  (edit, then recipe add --replace)
    Example: mlkb show arxiv:1706.03762 --chunk 12  (what a hit on chunk 12 matched, in context)
    """
    from mlkb.cli._render import item_json, print_item, recipe_yaml

    with open_kb() as kb:
        item = kb.get(item_id) if chunk is None else kb.get(item_id, chunk=chunk, around=around)
    if as_yaml:
        sys.stdout.write(recipe_yaml(item))
    elif as_json:
        print_json(item_json(item))
    else:
        passage = chunk is not None  # a few chunks, printed whole
        print_item(item, full=full or passage, limit=0 if passage else chunks, passage=passage)


def similar(
    item_id: Annotated[str, typer.Argument(help="The id of a stored recipe or document.")],
    kind: Annotated[list[Kind] | None, typer.Option(help="Only this kind.")] = None,
    k: KOpt = 10,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Items most like a stored one.

    Example: mlkb similar drift-psi-pricing -k 5
    """
    from mlkb.cli._render import print_hits, result_json
    from mlkb.search import item_filters

    with open_kb() as kb:
        result = kb.similar(item_id, k=k, filters=item_filters(kind or []), offset=offset)
    if as_json:
        print_json(result_json(result))
    else:
        kinds = " or ".join(k.value for k in kind or [])
        print_hits(result, f"no other {kinds + ' ' if kinds else ''}item is stored")


def docs(
    kind: Annotated[list[Kind] | None, typer.Option(help="Only this kind (repeatable).")] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Only this source (arxiv, hf, url, file, …).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """List the stored documents (papers, model cards, pages, notes) by source.

    Example: mlkb docs --source arxiv
    """
    from mlkb.errors import InputError

    if kind and Kind.recipe in kind:
        raise InputError("recipes are listed by `mlkb recipe list`; drop --kind recipe")
    with open_kb() as kb:
        items, total = kb.list_documents(
            kind=[k.value for k in kind or []], source=source or [], limit=limit
        )
    if as_json:
        print_json({"total": total, "items": [d.model_dump(mode="json") for d in items]})
        return
    from rich.table import Table
    from rich.text import Text

    from mlkb.cli._common import console

    if not items:
        console.print(
            "[yellow]No documents[/]"
            + (" match these filters." if kind or source else " yet.")
            + " Add some with `mlkb ingest arxiv|hf|url|web|files`."
        )
        return
    # Ids are shown whole (to copy into `mlkb show`); titles give way when lines are short.
    id_width = max(len(d.id) for d in items)
    source_width = max(6, *(len(d.source) for d in items))
    title_room = console.width - id_width - source_width - 6 - 8  # chunks, gaps
    table = Table(box=None, header_style="bold")
    table.add_column("source", no_wrap=True)
    table.add_column("id", overflow="fold")
    table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=max(10, title_room))
    table.add_column("chunks", justify="right", no_wrap=True)
    for d in items:
        table.add_row(d.source, Text(d.id, style="cyan"), Text(d.title), str(d.chunks))
    console.print(table)
    shown = f"{len(items)} of {total}" if len(items) < total else str(total)
    console.print(f"[dim]{shown} documents[/]")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(search)
    app.command()(show)
    app.command()(similar)
    app.command()(docs)
