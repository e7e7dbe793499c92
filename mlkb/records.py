"""Mapping between the data model and store points: ids, payloads, texts to embed, hits."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from mlkb.schema import Chunk, Document, DocumentView, Hit, Kind, Recipe

_NAMESPACE = uuid.UUID("6f1c1d3e-8a52-4c3b-9a0e-6d1b2f0c7a11")
SNIPPET_CHARS = 240


def point_id(key: str) -> str:
    """UUIDv5 of a stable key (``recipe:<slug>`` or ``<doc_id>#<position>``)."""
    return str(uuid.uuid5(_NAMESPACE, key))


def recipe_key(slug: str) -> str:
    """The stable key of a recipe's point."""
    return f"recipe:{slug}"


def chunk_key(doc_id: str, position: int) -> str:
    """The stable key of a document chunk's point."""
    return f"{doc_id}#{position}"


def is_document_id(item_id: str) -> bool:
    """Document ids carry a source prefix (``arxiv:``); recipe ids are bare slugs."""
    return ":" in item_id


def escape_path(path: str) -> str:
    """A path as it stands in a ``file:`` id: ids hold no whitespace, so each whitespace
    character and ``%`` itself become the percent-escapes of their UTF-8 bytes (``%20``,
    ``%25``, ``%E2%80%80``), two hex digits each, so no two paths share an id."""
    return re.sub(r"[\s%]", lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), path)


_RAW_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def stored_id(item_id: str) -> str:
    """The id as stored, for an id typed with a path's own spaces or ``%`` (``file:my
    notes.md`` is stored as ``file:my%20notes.md``, ``file:100%.md`` as
    ``file:100%25.md``), or a URL's spaces; any other id is returned as it is."""
    if not is_document_id(item_id):
        return item_id
    prefix, _, rest = item_id.partition(":")
    if prefix == "file" and (re.search(r"\s", rest) or _RAW_PERCENT.search(rest)):
        return f"file:{escape_path(rest)}"
    if re.search(r"\s", rest):
        return prefix + ":" + re.sub(r"\s", "%20", rest)
    return item_id


def recipe_payload(recipe: Recipe, source: str) -> dict[str, Any]:
    """The payload of a recipe's point; the full recipe rides along under ``recipe``."""
    return {
        "key": recipe_key(recipe.id),
        "item_id": recipe.id,
        "kind": Kind.recipe.value,
        "source": source,
        "area": recipe.area.value,
        "tags": list(recipe.tags),
        "title": recipe.title,
        "text": recipe.index_text(),
        "content_hash": recipe.content_hash(),
        "recipe": recipe.model_dump(mode="json"),
    }


def chunk_payload(doc: Document, chunk: Chunk, n_chunks: int, content_hash: str) -> dict[str, Any]:
    """The payload of one chunk; chunk 0 also carries the document's metadata."""
    payload: dict[str, Any] = {
        "key": chunk_key(doc.id, chunk.position),
        "item_id": doc.id,
        "doc_id": doc.id,
        "kind": doc.kind.value,
        "source": doc.source,
        "tags": list(doc.tags),
        "title": doc.title,
        "url": doc.url,
        "position": chunk.position,
        "n_chunks": n_chunks,
        "section": list(chunk.section),
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
    }
    if doc.published is not None:
        payload["published"] = doc.published.isoformat()
    if chunk.position == 0:
        payload["content_hash"] = content_hash
        payload["doc"] = doc.model_dump(mode="json", exclude={"text"})
    return payload


def embedding_text(payload: dict[str, Any]) -> str:
    """The text a point's vectors are computed from; a function of the payload alone,
    so a store can be re-embedded (``mlkb reindex``, ``mlkb import``) from its payloads."""
    if payload.get("kind") == Kind.recipe.value:
        return str(payload["text"])
    head = embedding_head(str(payload.get("title", "")), payload.get("section") or [])
    return head + str(payload.get("text", ""))


def embedding_head(title: str, section: list[str]) -> str:
    """What a document chunk's vectors see before its text: the title and section path."""
    path = " > ".join(section)
    return f"{title}\n{path}\n" if path else f"{title}\n"


HIT_FIELDS = (
    "item_id",
    "kind",
    "title",
    "area",
    "source",
    "url",
    "text",
    "section",
    "tags",
    "position",
    "published",
    "recipe.problem",
)
"""The payload fields a hit is made of: searches fetch only these (a recipe's point also
holds the whole recipe, several KB that a hit does not show)."""


def hit_from_payload(payload: dict[str, Any], score: float, query_terms: set[str]) -> Hit:
    """A search hit from a point's payload."""
    is_recipe = payload.get("kind") == Kind.recipe.value
    body = payload.get("recipe", {}).get("problem", "") if is_recipe else payload.get("text", "")
    return Hit(
        id=str(payload["item_id"]),
        kind=Kind(payload["kind"]),
        title=str(payload.get("title", "")),
        score=round(score, 6),
        area=payload.get("area"),
        source=payload.get("source"),
        url=payload.get("url"),
        snippet=snippet(str(body), query_terms),
        section=list(payload.get("section") or []),
        tags=list(payload.get("tags") or []),
        chunk=None if is_recipe else payload.get("position"),
        published=_day(payload.get("published")),
    )


def _day(stamp: str | None) -> dt.date | None:
    """The day of a stored ISO timestamp (none for one that is not: a hit still shows)."""
    try:
        return dt.datetime.fromisoformat(stamp).date() if stamp else None
    except (TypeError, ValueError):
        return None


def recipe_from_payload(payload: dict[str, Any]) -> Recipe:
    """The full recipe stored in a point."""
    return Recipe.model_validate(payload["recipe"])


def document_view(head: dict[str, Any], chunks: list[dict[str, Any]]) -> DocumentView:
    """A document reassembled from chunk 0's metadata and all chunk payloads."""
    doc = dict(head["doc"])
    return DocumentView(
        id=doc["id"],
        kind=doc["kind"],
        source=doc["source"],
        title=doc["title"],
        url=doc.get("url"),
        authors=doc.get("authors") or [],
        published=doc.get("published"),
        tags=doc.get("tags") or [],
        metadata=doc.get("metadata") or {},
        chunks=[
            Chunk(
                doc_id=doc["id"],
                position=c["position"],
                section=c.get("section") or [],
                text=c["text"],
                start=c["start"],
                end=c["end"],
            )
            for c in sorted(chunks, key=lambda c: int(c["position"]))
        ],
    )


def snippet(text: str, query_terms: set[str], width: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first query term it contains, whitespace collapsed."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    lower = flat.lower()
    positions = [lower.find(t) for t in query_terms if len(t) > 2]
    first = min((p for p in positions if p >= 0), default=0)
    start = max(0, first - width // 4)
    if start > 0:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(flat), start + width)
    cut = flat[start:end]
    if end < len(flat):
        cut = cut.rsplit(" ", 1)[0] + " …"
    return ("… " if start > 0 else "") + cut
