"""How results look in a terminal, and as JSON for scripts."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from mlkb.cli._common import console
from mlkb.schema import DocumentView, Hit, Recipe, SearchRequest, SearchResult

KIND_STYLE = {
    "recipe": "bold green",
    "paper": "bold magenta",
    "model_card": "bold yellow",
    "guide": "bold cyan",
    "note": "bold blue",
}


def hit_json(hit: Hit) -> dict[str, Any]:
    """The stable JSON shape of a hit."""
    return {
        "id": hit.id,
        "kind": hit.kind.value,
        "title": hit.title,
        "score": hit.score,
        "area": hit.area,
        "source": hit.source,
        "url": hit.url,
        "snippet": hit.snippet,
        "section": hit.section,
        "chunk": hit.chunk,
        "published": hit.published.isoformat() if hit.published else None,
    }


def result_json(result: SearchResult) -> dict[str, Any]:
    """``{"query": ..., "hits": [...]}``"""
    return {
        "query": result.query,
        "took_ms": result.took_ms,
        "offset": result.offset,
        "next_offset": result.next_offset,
        "hits": [hit_json(h) for h in result.hits],
    }


def missing_filter_values(request: SearchRequest, stats: dict[str, Any]) -> str | None:
    """Why a search found nothing: 'no item has source 'arxivv' (there are: file, seed)'
    for a filter value no stored item has, else that the filters exclude each other (an
    empty answer with no filter means an empty store)."""
    import difflib

    asked = {
        "source": request.source,
        "kind": [k.value for k in request.kind],
        "area": [a.value for a in request.area],
        "tag": request.tag,
    }
    for field, wanted in asked.items():
        have = stats.get(f"by_{field}") or {}
        if wanted and not any(value in have for value in wanted):
            values = " or ".join(map(repr, wanted))
            if len(have) <= 12:
                there = ", ".join(sorted(have)) or "none"
                return f"no item has {field} {values} (there are: {there})"
            near = dict.fromkeys(m for w in wanted for m in difflib.get_close_matches(w, have, 3))
            like = f"closest: {', '.join(near)}" if near else f"{len(have)} others"
            return f"no item has {field} {values} ({like}; `mlkb stats --json` lists them)"
    used = [f"--{field} {value}" for field, wanted in asked.items() for value in wanted]
    dates = {"--since": request.published_from, "--until": request.published_to}
    used += [f"{option} {day}" for option, day in dates.items() if day]
    if any(dates.values()) and len(used) == 1:
        return f"no document matches {used[0]} (recipes carry no date; papers and pages do)"
    if used:
        return f"no item matches {' '.join(used)} together; drop a filter"
    return "the knowledge base is empty; `mlkb seed` adds the curated recipes"


def print_hits(result: SearchResult, absent: str | None = None) -> None:
    """Ranked hits: title, kind, area or source, score, id and a snippet; with no hits, why
    (``absent``: from ``missing_filter_values``)."""
    if not result.hits and result.offset and absent is None:
        console.print(f"[yellow]No results[/] past the first {result.offset} hits; lower --offset.")
        return
    if not result.hits:
        console.print(f"[yellow]No results:[/] {escape(absent or 'nothing matched')}.")
        return
    # A grid keeps wrapped lines under their own text, never back at the margin.
    width = max(3, len(f"{result.offset + len(result.hits)}."))
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        style = KIND_STYLE.get(hit.kind.value, "bold")
        where = hit.area or hit.source or ""
        if hit.published:
            where += f" · {hit.published}"
        section = f" [dim]§ {escape(' > '.join(hit.section))}[/]" if hit.section else ""
        if hit.chunk is not None:  # `mlkb show <id> --chunk N` prints it in context
            section += f" [dim]· chunk {hit.chunk}[/]"
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=width, justify="right", no_wrap=True)
        grid.add_column()
        grid.add_row(f"[bold]{rank}.[/]", f"[bold]{escape(hit.title)}[/]")
        grid.add_row(
            "",
            f"[cyan]{escape(hit.id)}[/]  [{style}]{hit.kind.value}[/] [dim]·[/] "
            f"{escape(where)} [dim]· {hit.score:.3f}[/]{section}",
        )
        if hit.snippet:
            grid.add_row("", f"[dim]{escape(hit.snippet)}[/]")
        console.print(grid)
    more = f" · more with --offset {result.next_offset}" if result.next_offset else ""
    noun = "hit" if len(result.hits) == 1 else "hits"
    console.print(f"[dim]{len(result.hits)} {noun} in {result.took_ms:.0f} ms{more}[/]")


def recipe_markdown(recipe: Recipe) -> str:
    """A recipe as a markdown page."""
    lines = [
        f"# {recipe.title}",
        "",
        f"`{recipe.id}` · area **{recipe.area.value}** · v{recipe.version} · {recipe.updated}",
        "",
        "## Problem",
        "",
        recipe.problem,
        "",
    ]
    ctx = recipe.context
    facts = [
        ("Domain", ", ".join(ctx.domain)),
        ("Modality", ctx.modality or ""),
        ("Scale", ctx.scale or ""),
        ("Constraints", ", ".join(ctx.constraints)),
    ]
    if any(v for _, v in facts):
        lines += ["## Context", ""] + [f"- **{k}:** {v}" for k, v in facts if v] + [""]
    if recipe.symptoms:
        lines += ["## Symptoms", ""] + [f"- {s}" for s in recipe.symptoms] + [""]
    lines += ["## Solution", "", recipe.solution.strip(), ""]
    if recipe.architecture:
        lines += ["## Architecture", "", recipe.architecture, ""]
    if recipe.hyperparameters:
        lines += ["## Hyperparameters", "", "| name | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in recipe.hyperparameters.items()] + [""]
    if recipe.metrics:
        lines += ["## Metrics", "", "| metric | expected |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in recipe.metrics.items()] + [""]
    if recipe.pitfalls:
        lines += ["## Pitfalls", ""] + [f"- {p}" for p in recipe.pitfalls] + [""]
    if recipe.tools:
        lines += ["## Tools", "", ", ".join(recipe.tools), ""]
    if recipe.references:
        lines += ["## References", ""]
        for ref in recipe.references:
            link = ref.url or (f"https://arxiv.org/abs/{ref.arxiv_id}" if ref.arxiv_id else "")
            # the address in plain text: it survives a pipe, a file and any terminal
            lines.append(f"- {ref.title}: `{link}`" if link else f"- {ref.title}")
        lines.append("")
    if recipe.tags:
        lines += ["**Tags:** " + ", ".join(recipe.tags)]
    return "\n".join(lines)


def document_markdown(
    doc: DocumentView, *, full: bool = False, limit: int = 0, passage: bool = False
) -> str:
    """A document's metadata and chunks with their provenance (the first ``limit``
    chunks; 0: all). ``passage``: the chunks are a window of the document, not all."""
    lines = [f"# {doc.title}", "", f"- `{doc.id}` · {doc.kind.value} · source **{doc.source}**"]
    if doc.url:
        lines.append(f"- URL: `{doc.url}`")
    if doc.authors:
        lines.append("- Authors: " + ", ".join(doc.authors[:12]))
    if doc.published:
        lines.append(f"- Published: {doc.published.date()}")
    if doc.tags:
        lines.append("- Tags: " + ", ".join(doc.tags))
    if passage and doc.chunks:
        span = f"{doc.chunks[0].position}–{doc.chunks[-1].position}"
        lines += ["", f"## Passage (chunks {span})", ""]
    else:
        lines += ["", f"## Chunks ({len(doc.chunks)})", ""]
    shown = doc.chunks[:limit] if limit else doc.chunks
    for chunk in shown:
        where = " > ".join(chunk.section) or "(top)"
        lines.append(f"**#{chunk.position}** § {where} · chars {chunk.start}–{chunk.end}")
        body = chunk.text if full else (chunk.text[:400] + (" …" if len(chunk.text) > 400 else ""))
        lines += ["", "> " + body.replace("\n", "\n> "), ""]
    if len(shown) < len(doc.chunks):
        more = len(doc.chunks) - len(shown)
        lines.append(f"*… {more:,} more chunks: `--chunks 0` prints them all.*")
    return "\n".join(lines)


def print_item(
    item: Recipe | DocumentView, *, full: bool = False, limit: int = 0, passage: bool = False
) -> None:
    """A recipe or document rendered as markdown."""
    from rich.markdown import Markdown  # markdown-it costs ~0.1 s; only `show` needs it

    if isinstance(item, Recipe):
        text = recipe_markdown(item)
    else:
        text = document_markdown(item, full=full, limit=limit, passage=passage)
    console.print(Markdown(text))


def recipe_yaml(item: Recipe | DocumentView) -> str:
    """A recipe as the YAML `mlkb recipe add` reads; InputError for a document."""
    import yaml

    from mlkb.errors import InputError

    if not isinstance(item, Recipe):
        raise InputError(f"'{item.id}' is a document; --yaml prints recipes only")
    data = item.model_dump(mode="json", exclude_defaults=True, exclude={"version", "updated"})
    text: str = yaml.dump(
        data, Dumper=_block_dumper(yaml), sort_keys=False, allow_unicode=True, width=88
    )
    return text


def _block_dumper(yaml: Any) -> Any:
    """A safe dumper writing text of several lines as a block (``solution: |``), as the
    seed files and the template do, so each step stays a line to edit (PyYAML quotes such
    text on one line by default). Text a block cannot hold exactly, such as a line ending
    in spaces, is still quoted."""

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    class BlockDumper(yaml.SafeDumper):  # type: ignore[misc]
        pass

    BlockDumper.add_representer(str, text)
    return BlockDumper


def item_json(item: Recipe | DocumentView) -> dict[str, Any]:
    """``{"type": "recipe", "recipe": ...}`` or ``{"type": "document", "document": ...}``."""
    if isinstance(item, Recipe):
        return {"type": "recipe", "recipe": item.model_dump(mode="json")}
    return {"type": "document", "document": item.model_dump(mode="json")}


def stats_table(stats: dict[str, Any]) -> Table:
    """Store statistics as a table."""
    table = Table(show_header=False, box=None)
    for key in (
        "recipes",
        "documents",
        "chunks",
        "points",
        "model",
        "dim",
        "weights",
        "backend",
        "location",
    ):
        table.add_row(f"[bold]{key}[/]", str(stats.get(key, "")))
    for key in ("by_area", "by_kind", "by_source"):
        values = stats.get(key) or {}
        table.add_row(f"[bold]{key}[/]", ", ".join(f"{k} {v}" for k, v in sorted(values.items())))
    return table
