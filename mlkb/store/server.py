"""Server backend: a Qdrant server or cluster through qdrant-client.

Tests run it on qdrant-client's in-process mode (``QdrantClient(":memory:")``), which
speaks the same client API.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Sequence
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client import models as m
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from mlkb.errors import AuthError, StoreUnavailable
from mlkb.store.base import (
    DENSE,
    INDEXED_FIELDS,
    SPARSE,
    CollectionMeta,
    Filters,
    QueryPlan,
    SparseVec,
    StoredPoint,
)

_SCHEMA_TYPES = {
    "keyword": m.PayloadSchemaType.KEYWORD,
    "integer": m.PayloadSchemaType.INTEGER,
    "datetime": m.PayloadSchemaType.DATETIME,
}


def connect(
    url: str, api_key: str | None, *, attempts: int = 5, backoff: float = 0.5
) -> QdrantClient:
    """A client for ``url`` that has answered once; retries while a server is starting."""
    if url == ":memory:":
        return QdrantClient(":memory:")
    if url.startswith("path:"):
        return QdrantClient(path=url.removeprefix("path:"))
    with warnings.catch_warnings():
        # Plain HTTP with a key is the norm inside a private network (docker-compose), and
        # the version check runs in a background thread that warns when the server is
        # down or refuses the key: both would break the CLI's one-line errors.
        warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
        client = QdrantClient(url=url, api_key=api_key, timeout=10, check_compatibility=False)
    for attempt in range(attempts):
        try:
            client.get_collections()
            return client
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):
                raise AuthError(
                    f"the Qdrant server at {url} refused the key ({exc.status_code}); "
                    "check MLKB_QDRANT_API_KEY"
                ) from exc
            error: Exception = exc
        except (ResponseHandlingException, OSError) as exc:
            error = exc
        if attempt < attempts - 1:
            time.sleep(backoff * 2**attempt)
    raise StoreUnavailable(
        f"cannot reach the Qdrant server at {url} ({error.__class__.__name__}); "
        "check MLKB_QDRANT_URL and that the server is running"
    )


def _metadata(meta: CollectionMeta) -> dict[str, Any]:
    """A collection's record as the server keeps it, in the collection's metadata."""
    return {"model": meta.model, "dim": meta.dim, "schema": meta.schema, "extra": meta.extra}


class ServerStore:
    """One collection on a Qdrant server."""

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self.client = client
        self.collection = collection

    def meta(self) -> CollectionMeta | None:
        if not self.client.collection_exists(self.collection):
            return None
        raw = self.client.get_collection(self.collection).config.metadata or {}
        if "model" not in raw:
            return None
        return CollectionMeta(
            model=str(raw["model"]),
            dim=int(raw["dim"]),
            schema=int(raw.get("schema", 1)),
            extra=dict(raw.get("extra") or {}),
        )

    def create(self, meta: CollectionMeta) -> None:
        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        self.client.create_collection(
            self.collection,
            vectors_config={  # float16, as in the embedded store (see EdgeStore.create)
                DENSE: m.VectorParams(
                    size=meta.dim, distance=m.Distance.COSINE, datatype=m.Datatype.FLOAT16
                )
            },
            sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
            metadata=_metadata(meta),
        )
        with warnings.catch_warnings():
            # qdrant-client's in-process mode ignores payload indexes and says so
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            for name, kind in INDEXED_FIELDS.items():
                self.client.create_payload_index(self.collection, name, _SCHEMA_TYPES[kind])

    def update_meta(self, meta: CollectionMeta) -> None:
        self.client.update_collection(self.collection, metadata=_metadata(meta))

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        structs = []
        for p in points:
            vector: dict[str, Any] = {}
            if p.dense is not None:
                vector[DENSE] = p.dense
            if p.sparse is not None:
                vector[SPARSE] = m.SparseVector(indices=p.sparse.indices, values=p.sparse.values)
            structs.append(m.PointStruct(id=p.id, vector=vector, payload=p.payload))
        self.client.upsert(self.collection, points=structs, wait=True)

    def delete(self, ids: Sequence[str] = (), filters: Filters | None = None) -> None:
        if ids:
            self.client.delete(self.collection, m.PointIdsList(points=list(ids)), wait=True)
        if filters is not None and not filters.is_empty():
            self.client.delete(
                self.collection, m.FilterSelector(filter=_filter(filters)), wait=True
            )

    def retrieve(
        self, ids: Sequence[str], *, vectors: bool = False, payload: Sequence[str] | None = None
    ) -> list[StoredPoint]:
        if not ids:
            return []
        records = self.client.retrieve(
            self.collection,
            list(ids),
            with_payload=_payload_selector(payload),
            with_vectors=vectors,
        )
        return [_point(r) for r in records]

    def query(self, plan: QueryPlan) -> list[StoredPoint]:
        flt = None if plan.filters.is_empty() else _filter(plan.filters)
        prefetches, weights = [], []
        if plan.dense is not None:
            prefetches.append(
                m.Prefetch(query=plan.dense, using=DENSE, limit=plan.prefetch, filter=flt)
            )
            weights.append(plan.dense_weight)
        if plan.sparse is not None and plan.sparse.indices:
            sv = m.SparseVector(indices=plan.sparse.indices, values=plan.sparse.values)
            prefetches.append(m.Prefetch(query=sv, using=SPARSE, limit=plan.prefetch, filter=flt))
            weights.append(plan.sparse_weight)
        if not prefetches:
            return []
        payload = _payload_selector(plan.payload)
        if len(prefetches) == 1:
            only = prefetches[0]
            response = self.client.query_points(
                self.collection,
                query=only.query,
                using=only.using,
                limit=plan.limit,
                query_filter=flt,
                with_payload=payload,
            )
        else:
            response = self.client.query_points(
                self.collection,
                prefetch=prefetches,
                query=(
                    m.FusionQuery(fusion=m.Fusion.DBSF)
                    if plan.fusion == "dbsf"
                    else m.RrfQuery(rrf=m.Rrf(k=plan.rrf_k, weights=weights))
                ),
                limit=plan.limit,
                with_payload=payload,
            )
        return [_point(p) for p in response.points]

    def scroll(
        self, filters: Filters, limit: int, offset: str | None = None, *, vectors: bool = False
    ) -> tuple[list[StoredPoint], str | None]:
        records, next_offset = self.client.scroll(
            self.collection,
            scroll_filter=None if filters.is_empty() else _filter(filters),
            limit=limit,
            offset=offset,
            with_payload=True,
            with_vectors=vectors,
        )
        return [_point(r) for r in records], None if next_offset is None else str(next_offset)

    def count(self, filters: Filters | None = None, *, exact: bool = True) -> int:
        if not self.client.collection_exists(self.collection):
            return 0
        flt = None if filters is None or filters.is_empty() else _filter(filters)
        return int(self.client.count(self.collection, count_filter=flt, exact=exact).count)

    def facet(self, key: str, filters: Filters | None = None) -> dict[str, int]:
        flt = None if filters is None or filters.is_empty() else _filter(filters)
        response = self.client.facet(self.collection, key, facet_filter=flt, limit=1000, exact=True)
        return {str(h.value): int(h.count) for h in response.hits}

    def optimize(self) -> None:
        """The server optimizes in the background."""

    def flush(self) -> None:
        """Writes are acknowledged with ``wait=True``."""

    def close(self, *, exiting: bool = False) -> None:
        self.client.close()


def _payload_selector(fields: Sequence[str] | None) -> Any:
    """All fields (None), none (empty), or these."""
    if fields is None:
        return True
    return list(fields) if fields else False


def _filter(f: Filters) -> m.Filter:
    must: list[Any] = []
    for key, values in (("kind", f.kind), ("source", f.source), ("area", f.area), ("tags", f.tags)):
        if values:
            must.append(m.FieldCondition(key=key, match=m.MatchAny(any=[str(v) for v in values])))
    if f.item_id is not None:
        must.append(m.FieldCondition(key="item_id", match=m.MatchValue(value=f.item_id)))
    if f.doc_id is not None:
        must.append(m.FieldCondition(key="doc_id", match=m.MatchValue(value=f.doc_id)))
    if f.min_position is not None or f.max_position is not None:
        must.append(
            m.FieldCondition(key="position", range=m.Range(gte=f.min_position, lte=f.max_position))
        )
    if f.published_from or f.published_to:
        must.append(
            m.FieldCondition(
                key="published",
                range=m.DatetimeRange(
                    gte=f.published_from,
                    lte=(
                        dt.datetime.combine(f.published_to, dt.time.max, tzinfo=dt.UTC)
                        if f.published_to
                        else None
                    ),
                ),
            )
        )
    must_not: list[Any] = []
    if f.exclude_ids:
        must_not.append(m.HasIdCondition(has_id=list(f.exclude_ids)))
    if f.exclude_item is not None:
        must_not.append(m.FieldCondition(key="item_id", match=m.MatchValue(value=f.exclude_item)))
    return m.Filter(must=must or None, must_not=must_not or None)


def _point(record: Any) -> StoredPoint:
    dense, sparse = None, None
    vector = getattr(record, "vector", None)
    if isinstance(vector, dict):
        raw_dense = vector.get(DENSE)
        dense = [float(x) for x in raw_dense] if raw_dense is not None else None
        raw_sparse = vector.get(SPARSE)
        if raw_sparse is not None:
            sparse = SparseVec(indices=list(raw_sparse.indices), values=list(raw_sparse.values))
    return StoredPoint(
        id=str(record.id),
        payload=dict(record.payload or {}),
        dense=dense,
        sparse=sparse,
        score=float(getattr(record, "score", 0.0) or 0.0),
    )
