"""Hybrid retrieval: dense + BM25 prefetch, DBSF (or RRF) fusion, filters, one hit per item."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mlkb.errors import InvalidQuery
from mlkb.records import HIT_FIELDS, hit_from_payload
from mlkb.schema import MAX_OFFSET, Area, Hit, Kind, SearchMode, SearchRequest, SearchResult
from mlkb.store.base import Filters, QueryPlan, Store, StoredPoint

if TYPE_CHECKING:  # numpy and the Qdrant engine load only where a search runs locally, so a
    # CLI that answers through a running server starts without them.
    from mlkb.embed.base import DenseEmbedder

_TERM = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class SearchTuning:
    """Fusion settings, tuned on the training split of BEIR SciFact (bench/tune_fusion.py):
    nDCG@10 on train was 0.713 with RRF (k=60), 0.726 with the best weighted RRF, and
    0.731 with DBSF over 200 candidates per list."""

    fusion: str = "dbsf"
    dense_weight: float = 1.0
    sparse_weight: float = 1.2
    rrf_k: int = 2
    prefetch: int = 200
    overfetch: int = 4
    """Fused candidates fetched per requested hit, so grouping chunks by item still fills k."""

    def candidates(self, k: int) -> int:
        """How many fused candidates a search for ``k`` hits ranks."""
        return max(k * self.overfetch, 20)


def validate_query(query: str, max_chars: int) -> str:
    """The stripped query, or InvalidQuery when it is empty or too long."""
    text = query.strip()
    if not text:
        raise InvalidQuery("the query is empty; type what you are looking for")
    if len(text) > max_chars:
        raise InvalidQuery(
            f"the query has {len(text):,} characters, more than the limit of {max_chars:,}; "
            "shorten it to the problem's key sentences"
        )
    return text


def search_request(**fields: Any) -> SearchRequest:
    """A SearchRequest, or InvalidQuery naming the field (a query with undecodable
    bytes from the command line is not valid text, for example)."""
    try:
        return SearchRequest(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "request"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InvalidQuery(f"the search {where} is not valid: {msg}") from None


def item_filters(
    kind: Sequence[Kind] = (),
    area: Sequence[Area] = (),
    source: Sequence[str] = (),
    tag: Sequence[str] = (),
) -> Filters:
    """Store filters from the filter values a caller names (similar items: REST, MCP)."""
    return Filters(
        kind=[k.value for k in kind], area=[a.value for a in area], source=source, tags=tag
    )


def filters_for(request: SearchRequest) -> Filters:
    """Store filters from a search request."""
    return Filters(
        kind=[k.value for k in request.kind],
        source=list(request.source),
        area=[a.value for a in request.area],
        tags=list(request.tag),
        published_from=request.published_from,
        published_to=request.published_to,
    )


def search(
    store: Store,
    embedder: DenseEmbedder,
    request: SearchRequest,
    tuning: SearchTuning = SearchTuning(),
    *,
    max_chars: int = 10_000,
) -> SearchResult:
    """Run a search request: fuse, filter, group by item, keep the top k."""
    started = time.perf_counter()
    query = validate_query(request.query, max_chars)
    mode = request.mode
    dense = embedder.embed_query(query) if mode is not SearchMode.sparse else None
    from mlkb.embed.sparse import bm25_query

    sparse = bm25_query(query) if mode is not SearchMode.dense else None
    # One hit past the page tells whether another follows. Pages are slices of one ranking
    # while the candidates fit the prefetch lists (offset + k < 50 with the defaults).
    depth = request.offset + request.k
    filters = filters_for(request)

    def plan(fetch: int) -> QueryPlan:
        return QueryPlan(
            dense=dense,
            sparse=sparse,
            limit=fetch,
            prefetch=max(tuning.prefetch, fetch),
            filters=filters,
            dense_weight=tuning.dense_weight,
            sparse_weight=tuning.sparse_weight,
            rrf_k=tuning.rrf_k,
            fusion=tuning.fusion,
            payload=(),
        )

    terms = set(_TERM.findall(query.lower()))
    hits = ranked_items(store, plan, depth + 1, tuning.candidates(depth + 1), terms)
    return page_of(query, hits, request.offset, request.k, started)


def page_of(query: str, hits: list[Hit], offset: int, k: int, started: float) -> SearchResult:
    """The page ``offset:offset + k`` of ``hits``, ranked up to one past it (which tells
    whether another page follows), timed from ``started``."""
    depth = offset + k
    more = len(hits) > depth and depth <= MAX_OFFSET  # no page deeper than a search serves
    return SearchResult(
        query=query,
        hits=hits[offset:depth],
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        offset=offset,
        next_offset=depth if more else None,
    )


MAX_CANDIDATES = 4096
"""Most candidates one search ranks when it has to ask again (see ``ranked_items``)."""


def ranked_items(
    store: Store, plan: Callable[[int], QueryPlan], want: int, fetch: int, terms: set[str]
) -> list[Hit]:
    """Hits for up to ``want`` distinct items, from ``fetch`` candidates first. The chunks
    of a few long documents can take every candidate and leave the answer short: then it
    asks again for four times as many, up to ``MAX_CANDIDATES``."""
    while True:
        ranked = store.query(plan(fetch))
        hits = best_per_item(store, ranked, want, terms)
        if len(hits) >= want or len(ranked) < fetch or fetch >= MAX_CANDIDATES:
            return hits
        fetch = min(fetch * 4, MAX_CANDIDATES)


def best_per_item(
    store: Store, ranked: list[StoredPoint], k: int, query_terms: set[str]
) -> list[Hit]:
    """Best point per item (a document yields one hit, from its best chunk), top k.

    ``ranked`` carries ids and scores only: the engine reads a point's stored payload whole
    for any field, so ranking without payloads and reading the hit fields of the k best
    points costs less than reading them for every candidate. When chunks of one item
    leave the first k short, the rest of the candidates are read in one more call. A write
    landing between the query and the read shows in the hit's fields, not in its rank."""
    seen: set[str] = set()
    hits: list[Hit] = []
    for window in (ranked[:k], ranked[k:]):
        if len(hits) == k or not window:
            break
        found = {
            p.id: p.payload for p in store.retrieve([p.id for p in window], payload=HIT_FIELDS)
        }
        for point in window:
            payload = found.get(point.id)
            if payload is None:  # deleted since the query ran
                continue
            item = str(payload.get("item_id"))
            if item in seen:
                continue
            seen.add(item)
            hits.append(hit_from_payload(payload, point.score, query_terms))
            if len(hits) == k:
                break
    return hits


def similar_to(store: Store, point: StoredPoint, k: int, filters: Filters = Filters()) -> list[Hit]:
    """The ``k`` items whose vectors are nearest to a stored point's, the item itself
    excluded."""
    if point.dense is None:
        return []
    scoped = dataclasses.replace(filters, exclude_item=str(point.payload.get("item_id")))

    def plan(fetch: int) -> QueryPlan:
        return QueryPlan(
            dense=point.dense, sparse=None, limit=fetch, prefetch=fetch, filters=scoped, payload=()
        )

    terms = set(_TERM.findall(str(point.payload.get("title", "")).lower()))
    return ranked_items(store, plan, k, SearchTuning().candidates(k), terms)
