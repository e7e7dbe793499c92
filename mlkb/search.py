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
    layers: tuple[int, ...] = (100, 400, 2048, 4096)
    """How many candidates each layer of a ranking holds (see ``layered_points``). A single
    list ranks that many; fused lists rank half as many each, at least ``prefetch``, so the
    first two layers fuse alike and count as one."""

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
    # One hit past the page tells whether another follows. Each layer of the ranking is
    # one fixed query, whatever the page, so every page is a slice of the same ranking.
    depth = request.offset + request.k
    filters = filters_for(request)
    # The store runs a query with no sparse terms on the dense list alone.
    fused = dense is not None and sparse is not None and bool(sparse.indices)

    def plan(limit: int) -> QueryPlan:
        return QueryPlan(
            dense=dense,
            sparse=sparse,
            limit=limit,
            prefetch=max(tuning.prefetch, limit // 2) if fused else limit,
            filters=filters,
            dense_weight=tuning.dense_weight,
            sparse_weight=tuning.sparse_weight,
            rrf_k=tuning.rrf_k,
            fusion=tuning.fusion,
            payload=(),
        )

    terms = set(_TERM.findall(query.lower()))
    want = depth + 1
    fetch = tuning.candidates(want)
    hits = ranked_items(store, plan, want, fetch, terms, tuning.layers, prefixes=fused)
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
    store: Store,
    plan: Callable[[int], QueryPlan],
    want: int,
    fetch: int,
    terms: set[str],
    layers: Sequence[int] = SearchTuning.layers,
    *,
    prefixes: bool = False,
) -> list[Hit]:
    """Hits for up to ``want`` distinct items, from the first ``fetch`` candidates of the
    ranking ``layered_points`` builds. The chunks of a few long documents can take every
    candidate and leave the answer short: then it reads four times as many, up to
    ``MAX_CANDIDATES``."""
    ranking = layered_points(store, plan, layers, prefixes=prefixes)
    while True:
        ranked = ranking(fetch)
        hits = best_per_item(store, ranked, want, terms)
        if len(hits) >= want or len(ranked) < fetch or fetch >= MAX_CANDIDATES:
            return hits
        fetch = min(fetch * 4, MAX_CANDIDATES)


def layered_points(
    store: Store,
    plan: Callable[[int], QueryPlan],
    layers: Sequence[int],
    *,
    prefixes: bool = False,
) -> Callable[[int], list[StoredPoint]]:
    """The first n points of one ranking, however deep a page asks, as a function of n.

    What the engine ranks depends on the depth asked: DBSF normalises each list by the
    scores of its candidates, the HNSW beam widens with the limit, and ties are cut
    anywhere. Asking for ``offset + k`` hits made a deeper page reorder the ones a
    shallower page had shown, so following ``next_offset`` past offset 50 repeated hits.
    Here the ranking is a fixed sequence of layers instead, ``plan(limit)`` for each
    limit in ``layers``: the points of the first, then those of the next not listed yet,
    and so on. A layer is asked only when the ones before it fall short.

    The engine orders tied scores differently from one call to the next, so a layer is
    sorted by score, then id. Which of the points tied at the cut make it in is as
    arbitrary: a full layer leaves them all to the next one. A layer's scores are its own
    fusion's, so a deeper layer's first hit can score above the last hit of the one before.

    ``prefixes``: asking a layer for fewer points returns the start of the same ranking,
    as with fused lists of a fixed ``prefetch`` (not a single list: its HNSW beam widens
    with the limit). Then a layer is asked for as many points as are wanted, not its
    whole limit: a first page runs the query it always did."""
    plans = [plan(limit) for limit in layers]
    if prefixes:  # layers of one prefetch rank alike: the deepest of them stands for all
        plans = [
            p
            for i, p in enumerate(plans)
            if i + 1 == len(plans) or plans[i + 1].prefetch != p.prefetch
        ]
    points: list[StoredPoint] = []
    seen: set[str] = set()
    layer = 0  # the layer read next
    taken = 0  # its points read so far
    asked = 0  # how many it was last asked for
    done = False

    def first(n: int) -> list[StoredPoint]:
        nonlocal layer, taken, asked, done
        while len(points) < n and not done and layer < len(plans):
            layer_plan = plans[layer]
            limit = layer_plan.limit
            # Of the layer's first n points, at most len(points) are listed already.
            asked = min(limit, max(n, 2 * asked)) if prefixes else limit
            # One past what is asked tells whether the layer holds more.
            ranked = store.query(dataclasses.replace(layer_plan, limit=asked + 1))
            ranked.sort(key=lambda p: (-p.score, p.id))
            complete = len(ranked) <= asked
            if not complete and (asked < limit or layer + 1 < len(plans)):
                cut = ranked[-1].score  # the last layer, read whole, keeps its ties
                ranked = [p for p in ranked if p.score != cut]
            for point in ranked[taken:]:
                if point.id not in seen:
                    seen.add(point.id)
                    points.append(point)
            taken = len(ranked)
            if complete or asked == limit:
                # Fewer than each list's depth: every list held all its matches, so a
                # deeper layer would find nothing new.
                done = complete and len(ranked) < min(limit, layer_plan.prefetch)
                layer, taken, asked = layer + 1, 0, 0
        return points[:n]

    return first


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

    def plan(limit: int) -> QueryPlan:
        return QueryPlan(
            dense=point.dense, sparse=None, limit=limit, prefetch=limit, filters=scoped, payload=()
        )

    terms = set(_TERM.findall(str(point.payload.get("title", "")).lower()))
    return ranked_items(store, plan, k, SearchTuning().candidates(k), terms)
