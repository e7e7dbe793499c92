"""Text the TUI shows: result rows, detail markdown, example queries."""

from __future__ import annotations

from typing import Any

from textual.content import Content

from mlkb.cli._render import recipe_markdown
from mlkb.schema import DocumentView, Hit, Recipe, SearchResult

EXAMPLES = [
    "drift detection for pricing",
    "loss becomes NaN after a few steps",
    "fine-tune an LLM on a single GPU",
    "my RAG answers are hallucinated",
    "speed up BERT inference on CPU",
]
"""Example queries shown on the welcome view."""

KIND_COLOR = {
    "recipe": "$success",
    "paper": "$accent",
    "model_card": "$warning",
    "guide": "$primary",
    "note": "$secondary",
}
"""Theme variables for each kind's badge: the palette follows the app's theme."""

KIND_LABEL = {"model_card": "model"}


def kind_badge(kind: str) -> Content:
    """The kind as a small coloured tag, e.g. `` recipe ``."""
    color = KIND_COLOR.get(kind, "$foreground")
    label = KIND_LABEL.get(kind, kind)
    return Content.from_markup(f"[bold {color}]$label[/]", label=label)


def hit_prompt(hit: Hit) -> Content:
    """One result row: the title, then kind, area or source, score and id (two documents
    may share a title)."""
    where = hit.area or hit.source or ""
    if hit.published:
        where += f" · {hit.published.year}"
    meta = Content.assemble(
        kind_badge(hit.kind.value),
        Content.from_markup(
            "[dim] · $where · $score · $id[/]", where=where, score=f"{hit.score:.3f}", id=hit.id
        ),
    )
    title = Content.from_markup("[bold]$title[/]", title=hit.title)
    return Content("\n").join([title, meta])


def item_markdown(item: Recipe | DocumentView, hit: Hit | None = None) -> str:
    """A recipe in full, or the chunk a hit points to (or a document's opening chunk)."""
    if isinstance(item, Recipe):
        return recipe_markdown(item)
    position = hit.chunk if hit is not None and hit.chunk is not None else 0
    return chunk_markdown(item, position)


def chunk_markdown(doc: DocumentView, position: int) -> str:
    """One chunk of a document: the document's title, the section path, the text and URL."""
    chunks = sorted(doc.chunks, key=lambda c: c.position)
    chunk = next((c for c in chunks if c.position == position), chunks[0] if chunks else None)
    lines = [f"# {doc.title}", "", f"`{doc.id}` · {doc.kind.value} · source **{doc.source}**", ""]
    if doc.url:
        # a web address is a link; a file:// one, which a terminal cannot open, plain text
        web = doc.url.startswith(("http://", "https://"))
        lines += [f"URL: [{doc.url}]({doc.url})" if web else f"URL: `{doc.url}`", ""]
    if doc.authors:
        lines += [
            "Authors: " + ", ".join(doc.authors[:8]) + (" …" if len(doc.authors) > 8 else ""),
            "",
        ]
    if chunk is None:
        return "\n".join([*lines, "_This document has no text._"])
    where = " › ".join(chunk.section) or "(top of the document)"
    lines += [
        f"## § {where}",
        "",
        f"_chunk {chunk.position + 1} of {len(chunks)}_",
        "",
        chunk.text.strip(),
        "",
    ]
    if doc.tags:
        lines.append("**Tags:** " + ", ".join(doc.tags))
    return "\n".join(lines)


def item_url(item: Recipe | DocumentView) -> str | None:
    """The link to open: a document's URL, or a recipe's first linked reference."""
    if isinstance(item, DocumentView):
        return item.url
    for ref in item.references:
        if ref.url:
            return ref.url
        if ref.arxiv_id:
            return f"https://arxiv.org/abs/{ref.arxiv_id}"
    return None


def ready_status(stats: dict[str, Any], backend: str) -> str:
    """The status line of an open knowledge base: what it holds and where."""
    return f"{stats.get('recipes', 0)} recipes · {stats.get('documents', 0)} documents · {backend}"


def similar_status(result: SearchResult, title: str, filters: str) -> str:
    """The status line over similar items; the filter bar applies to them too, so an empty
    list says which filters to drop."""
    count = len(result.hits)
    title = title if len(title) <= 40 else title[:39] + "…"  # the fix must fit 80 columns
    status = f"{hit_count(count, result.next_offset is not None, 'item')} similar to “{title}”"
    if filters:
        status += f" with {filters}" + ("; drop a filter for more" if not count else "")
    return status + " · escape goes back"


def search_status(result: SearchResult, query: str, filters: str, took_ms: float | None) -> str:
    """The status line over a search's hits: how many (``20+`` while more follow), for
    what, with which filters, and how long the first page took."""
    status = f"{hit_count(len(result.hits), result.next_offset is not None)} for “{query}”"
    if filters:
        status += f" · {filters}"
    if took_ms is not None:
        status += f" · {took_ms:.0f} ms"
    return status


def hit_count(count: int, more: bool, noun: str = "hit") -> str:
    """``1 hit``, ``7 hits``, or ``20+ hits`` when more follow."""
    plural = "" if count == 1 and not more else "s"
    return f"{count}{'+' if more else ''} {noun}{plural}"
