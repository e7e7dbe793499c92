"""The store contract: what the knowledge base needs from a vector database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlkb.vocab import normalize_tags

DENSE = "dense"
SPARSE = "bm25"
INDEXED_FIELDS = {
    "kind": "keyword",
    "source": "keyword",
    "area": "keyword",
    "tags": "keyword",
    "item_id": "keyword",
    "doc_id": "keyword",
    "position": "integer",
    "published": "datetime",
}


@dataclass(frozen=True)
class SparseVec:
    """A sparse vector: term ids and weights."""

    indices: list[int]
    values: list[float]


@dataclass
class StoredPoint:
    """A point as mlkb sees it, whatever the backend."""

    id: str
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: SparseVec | None = None
    score: float = 0.0


@dataclass(frozen=True)
class Filters:
    """Payload conditions; lists mean "any of", fields combine with AND."""

    kind: Sequence[str] = ()
    source: Sequence[str] = ()
    area: Sequence[str] = ()
    tags: Sequence[str] = ()
    item_id: str | None = None
    doc_id: str | None = None
    min_position: int | None = None
    max_position: int | None = None
    published_from: dt.date | None = None
    published_to: dt.date | None = None
    exclude_ids: Sequence[str] = ()
    exclude_item: str | None = None

    def __post_init__(self) -> None:
        # Tags are stored normalized (mlkb.vocab.normalize_tags); a filter matches them
        # however it was typed.
        object.__setattr__(self, "tags", tuple(normalize_tags(list(self.tags))))

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return self == Filters()


@dataclass(frozen=True)
class CollectionMeta:
    """What a collection records about how it was built."""

    model: str
    dim: int
    schema: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryPlan:
    """A hybrid query: dense and/or sparse prefetch fused with weighted RRF."""

    dense: list[float] | None
    sparse: SparseVec | None
    limit: int
    prefetch: int
    filters: Filters = Filters()
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    rrf_k: int = 60
    fusion: str = "dbsf"
    """``dbsf`` (distribution-based score fusion, unweighted) or ``rrf`` (weighted)."""
    payload: Sequence[str] | None = None
    """The payload fields to return; None returns them all, an empty tuple none."""


class Store(Protocol):
    """A vector store backend (embedded Qdrant Edge, or a Qdrant server)."""

    def meta(self) -> CollectionMeta | None:
        """The collection's recorded model and dimension; None when it does not exist yet."""
        ...

    def create(self, meta: CollectionMeta) -> None:
        """Create the collection with its payload indexes and record ``meta``."""
        ...

    def update_meta(self, meta: CollectionMeta) -> None:
        """Replace the record of an existing collection (its points stay)."""
        ...

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points (dense and sparse vectors must be set)."""
        ...

    def delete(self, ids: Sequence[str] = (), filters: Filters | None = None) -> None:
        """Delete points by id and/or by filter."""
        ...

    def retrieve(
        self, ids: Sequence[str], *, vectors: bool = False, payload: Sequence[str] | None = None
    ) -> list[StoredPoint]:
        """Points by id, in no particular order; unknown ids are skipped. ``payload`` selects
        the fields to return, as in a query plan."""
        ...

    def query(self, plan: QueryPlan) -> list[StoredPoint]:
        """Points ranked for the plan, best first, with the plan's payload fields."""
        ...

    def scroll(
        self, filters: Filters, limit: int, offset: str | None = None, *, vectors: bool = False
    ) -> tuple[list[StoredPoint], str | None]:
        """A page of points and the offset of the next page (None at the end)."""
        ...

    def count(self, filters: Filters | None = None, *, exact: bool = True) -> int:
        """Number of points matching ``filters``; ``exact=False`` may estimate (with no
        filter the engine's estimate is its points' total, read without a scan)."""
        ...

    def facet(self, key: str, filters: Filters | None = None) -> dict[str, int]:
        """Counts of each value of a keyword field."""
        ...

    def optimize(self) -> None:
        """Build indexes after bulk writes (a no-op where the server does it)."""
        ...

    def close(self, *, exiting: bool = False) -> None:
        """Flush and release the store. ``exiting``: the process ends right after, so what
        the OS undoes at exit may be left to it."""
        ...
