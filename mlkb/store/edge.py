"""Embedded backend: Qdrant Edge, the Qdrant engine in-process, one shard per folder."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from mlkb.errors import StoreUnavailable
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
from mlkb.store.lock import StoreLock

_log = logging.getLogger("mlkb")
_META_FILE = "mlkb-collection.json"
META_FILE = _META_FILE
"""The file that records a collection's model and marks it complete (written last)."""
_SHARD = "shard"
_WAL_MARKER = "6d6c6b62-0000-5000-8000-77616c746169"
"""A point id no store holds. Deleting it is the smallest operation the WAL records."""
_EXACT_ONLY = {"item_id", "doc_id", "position"}
"""Fields matched only as filters on their own: no filter-aware HNSW links for them."""


def _field_index(name: str, kind: str) -> Any:
    """The payload index of one field, memory-mapped from disk.

    In RAM, every keyword and number index is rebuilt when the store opens, which made up
    most of a cold ``mlkb search``: opening a 100k-chunk store took 0.85 s with them in
    RAM, 0.55 s memory-mapped. Filters over a warm page cache are as fast either way."""
    hnsw = name not in _EXACT_ONLY
    if kind == "keyword":
        return qe.KeywordIndexParams(on_disk=True, enable_hnsw=hnsw)
    if kind == "integer":
        return qe.IntegerIndexParams(lookup=True, range=True, on_disk=True, enable_hnsw=hnsw)
    return qe.DatetimeIndexParams(on_disk=True, enable_hnsw=hnsw)


_OPEN_UNTIL_EXIT: list[EdgeStore] = []
"""Stores a process leaves open until it ends (see ``EdgeStore.close``)."""


def close_left_open() -> None:
    """Close the stores ``close(exiting=True)`` left open, for a process that goes on after
    all (threads still running, an unexpected error): the shards close before the locks go,
    which the interpreter's teardown would not promise."""
    while _OPEN_UNTIL_EXIT:
        _OPEN_UNTIL_EXIT.pop().close()


def read_meta(folder: Path) -> CollectionMeta | None:
    """What the store in ``folder`` records about how it was built, read from its meta
    file without opening the store; None when it has none."""
    path = folder / _META_FILE
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    return CollectionMeta(
        model=raw["model"],
        dim=int(raw["dim"]),
        schema=int(raw.get("schema", 1)),
        extra=raw.get("extra", {}),
    )


class EdgeStore:
    """A Qdrant Edge shard in ``folder``, locked to this process while open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = StoreLock(folder)
        self._lock.acquire()
        self._shard: qe.EdgeShard | None = None
        self._wrote = False  # since the last flush
        self._changed = False  # since the shard was opened
        try:
            if (folder / _SHARD).is_dir() and (folder / _META_FILE).is_file():
                self._shard = qe.EdgeShard.load(str(folder / _SHARD))
        except Exception as exc:  # qdrant_edge raises plain Exception
            self._lock.release()
            raise StoreUnavailable(
                f"cannot open the store at {folder}: {exc}; "
                "restore it from an export (`mlkb import`) or remove the folder"
            ) from exc

    # -- collection -----------------------------------------------------------------
    def meta(self) -> CollectionMeta | None:
        if self._shard is None:
            return None
        return read_meta(self.folder)

    def create(self, meta: CollectionMeta) -> None:
        # Dense vectors are stored as float16: half the RAM and disk of float32 (0.75 GB
        # instead of 1.5 GB a million chunks), with BEIR SciFact nDCG@10 unchanged.
        dense = qe.EdgeVectorParams(
            size=meta.dim, distance=qe.Distance.Cosine, datatype=qe.VectorStorageDatatype.Float16
        )
        config = qe.EdgeConfig(
            vectors={DENSE: dense},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=128, full_scan_threshold=10_000),
        )
        shard_dir = self.folder / _SHARD
        try:
            # Replacing a collection (reindex), or one whose creation crashed before its
            # meta file was written: the meta file goes first, so a crash here leaves a
            # folder that is recreated on the next open, never a half-built collection.
            (self.folder / _META_FILE).unlink(missing_ok=True)
            if self._shard is not None:
                self._shard.close()
                self._shard = None
            if shard_dir.exists():
                shutil.rmtree(shard_dir)
            self._changed = True
            self._shard = qe.EdgeShard.create(str(shard_dir), config)
            for name, kind in INDEXED_FIELDS.items():
                index = _field_index(name, kind)
                self._shard.update(qe.UpdateOperation.create_field_index(name, index))
            self._shard.flush()
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create the store at {self.folder}: {exc}; "
                "set MLKB_HOME to a writable folder"
            ) from exc
        # The meta file is written last: it marks a complete collection.
        self._write_meta(meta)

    def update_meta(self, meta: CollectionMeta) -> None:
        self.shard  # noqa: B018 -- raises when there is no collection to describe
        self._write_meta(meta)

    def _write_meta(self, meta: CollectionMeta) -> None:
        """Write the meta file atomically: a crash leaves the old one or the new one."""
        tmp = self.folder / (_META_FILE + ".tmp")
        tmp.write_text(
            json.dumps(
                {"model": meta.model, "dim": meta.dim, "schema": meta.schema, "extra": meta.extra}
            )
        )
        os.replace(tmp, self.folder / _META_FILE)

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise StoreUnavailable(f"the store at {self.folder} has no collection yet")
        return self._shard

    # -- writes -----------------------------------------------------------------------
    def upsert(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        batch = []
        for p in points:
            vector: dict[str, Any] = {}
            if p.dense is not None:
                vector[DENSE] = p.dense
            if p.sparse is not None:
                vector[SPARSE] = qe.SparseVector(indices=p.sparse.indices, values=p.sparse.values)
            batch.append(qe.Point(id=p.id, vector=vector, payload=p.payload))
        self._wrote = self._changed = True  # before: a failed update may have half applied
        self.shard.update(qe.UpdateOperation.upsert_points(batch))

    def delete(self, ids: Sequence[str] = (), filters: Filters | None = None) -> None:
        self._wrote = self._changed = True
        if ids:
            self.shard.update(qe.UpdateOperation.delete_points(list(ids)))
        if filters is not None and not filters.is_empty():
            self.shard.update(qe.UpdateOperation.delete_points_by_filter(_filter(filters)))

    # -- reads ------------------------------------------------------------------------
    def retrieve(
        self, ids: Sequence[str], *, vectors: bool = False, payload: Sequence[str] | None = None
    ) -> list[StoredPoint]:
        if not ids:
            return []
        records = self.shard.retrieve(
            list(ids), with_payload=_payload_selector(payload), with_vector=vectors
        )
        return [_point(r) for r in records]

    def query(self, plan: QueryPlan) -> list[StoredPoint]:
        flt = None if plan.filters.is_empty() else _filter(plan.filters)
        prefetches, weights = [], []
        if plan.dense is not None:
            prefetches.append(
                qe.Prefetch(
                    limit=plan.prefetch, query=qe.Query.Nearest(plan.dense, using=DENSE), filter=flt
                )
            )
            weights.append(plan.dense_weight)
        if plan.sparse is not None and plan.sparse.indices:
            sv = qe.SparseVector(indices=plan.sparse.indices, values=plan.sparse.values)
            prefetches.append(
                qe.Prefetch(
                    limit=plan.prefetch, query=qe.Query.Nearest(sv, using=SPARSE), filter=flt
                )
            )
            weights.append(plan.sparse_weight)
        if not prefetches:
            return []
        payload = _payload_selector(plan.payload)
        if len(prefetches) == 1:
            single = prefetches[0]
            request = qe.QueryRequest(
                limit=plan.limit, query=single.query, filter=flt, with_payload=payload
            )
        else:
            fusion: Any = (
                qe.Fusion.Dbsf()
                if plan.fusion == "dbsf"
                else qe.Fusion.Rrf(k=plan.rrf_k, weights=weights)
            )
            request = qe.QueryRequest(
                limit=plan.limit, prefetches=prefetches, query=fusion, with_payload=payload
            )
        return [_point(r) for r in self.shard.query(request)]

    def scroll(
        self, filters: Filters, limit: int, offset: str | None = None, *, vectors: bool = False
    ) -> tuple[list[StoredPoint], str | None]:
        request = qe.ScrollRequest(
            offset=offset,
            limit=limit,
            filter=None if filters.is_empty() else _filter(filters),
            with_payload=True,
            with_vector=vectors,
        )
        records, next_offset = self.shard.scroll(request)
        return [_point(r) for r in records], None if next_offset is None else str(next_offset)

    def count(self, filters: Filters | None = None, *, exact: bool = True) -> int:
        if self._shard is None:
            return 0
        flt = None if filters is None or filters.is_empty() else _filter(filters)
        return int(self._shard.count(qe.CountRequest(filter=flt, exact=exact)))

    def facet(self, key: str, filters: Filters | None = None) -> dict[str, int]:
        flt = None if filters is None or filters.is_empty() else _filter(filters)
        response = self.shard.facet(qe.FacetRequest(key=key, limit=1000, exact=True, filter=flt))
        return {str(h.value): int(h.count) for h in response.hits}

    def optimize(self) -> None:
        self._changed = True
        self.shard.optimize()

    def flush(self) -> None:
        if self._shard is not None:
            self._settle_wal()
            self._shard.flush()

    def _settle_wal(self) -> None:
        """End the write-ahead log with a tiny operation after writes.

        On load the engine decodes the log from its last acknowledged operation on, and
        that operation is always the last one written: after a bulk upsert, tens of MB of
        vectors. Opening a 100k-chunk store took 1.25-1.4 s with an upsert last and
        0.27-0.35 s with this no-op delete last, which is most of a cold ``mlkb search``.
        A process killed after writing leaves the slow open until the store's next write
        session. The marker only buys speed, so a failure to write it never stops the
        flush and close that follow."""
        if self._wrote:
            self._wrote = False
            try:
                self.shard.update(qe.UpdateOperation.delete_points([_WAL_MARKER]))
            except Exception as exc:  # qdrant_edge raises plain Exception
                _log.warning("could not end the store's write-ahead log with a marker: %s", exc)

    def release_shard(self) -> None:
        """Flush and close the shard but keep the lock (to replace the folder's files)."""
        if self._shard is not None:
            self.flush()
            self._shard.close()
            self._shard = None

    def close(self, *, exiting: bool = False) -> None:
        """Flush and close the shard, then release the lock.

        ``exiting``, for a process that ends right after (the ``mlkb`` command): a session
        that changed nothing leaves the shard and the lock to the OS. The engine's close
        takes 30-40 ms and drops the store's files from the page cache, so the next
        process opened a 100k-chunk store in 0.25 s instead of 0.19 s. The lock is held
        until the process is gone, so no other process writes while this shard is open."""
        if exiting and self._shard is not None and not self._changed:
            _OPEN_UNTIL_EXIT.append(self)
            return
        try:
            self.release_shard()
        finally:
            self._lock.release()


def _payload_selector(fields: Sequence[str] | None) -> Any:
    """All fields (None), none (empty), or these. The engine decodes a point's whole stored
    payload for any selection, so asking for no fields is what saves the read."""
    if fields is None:
        return True
    return qe.PayloadSelector.Include(list(fields)) if fields else False


def _filter(f: Filters) -> qe.Filter:
    must: list[Any] = []
    for key, values in (("kind", f.kind), ("source", f.source), ("area", f.area), ("tags", f.tags)):
        if values:
            must.append(qe.FieldCondition(key=key, match=qe.MatchAny(any=[str(v) for v in values])))
    if f.item_id is not None:
        must.append(qe.FieldCondition(key="item_id", match=qe.MatchValue(f.item_id)))
    if f.doc_id is not None:
        must.append(qe.FieldCondition(key="doc_id", match=qe.MatchValue(f.doc_id)))
    if f.min_position is not None or f.max_position is not None:
        must.append(
            qe.FieldCondition(
                key="position", range=qe.RangeFloat(gte=f.min_position, lte=f.max_position)
            )
        )
    if f.published_from or f.published_to:
        must.append(
            qe.FieldCondition(
                key="published",
                range=qe.RangeDateTime(
                    gte=f.published_from.isoformat() if f.published_from else None,
                    lte=f"{f.published_to.isoformat()}T23:59:59Z" if f.published_to else None,
                ),
            )
        )
    must_not: list[Any] = []
    if f.exclude_ids:
        must_not.append(qe.HasIdCondition(point_ids=set(f.exclude_ids)))
    if f.exclude_item is not None:
        must_not.append(qe.FieldCondition(key="item_id", match=qe.MatchValue(f.exclude_item)))
    return qe.Filter(must=must or None, must_not=must_not or None)


def _point(record: Any) -> StoredPoint:
    dense, sparse = None, None
    vector = getattr(record, "vector", None)
    if isinstance(vector, dict):
        raw_dense = vector.get(DENSE)
        dense = list(raw_dense) if raw_dense is not None else None
        raw_sparse = vector.get(SPARSE)
        if raw_sparse is not None:
            sparse = SparseVec(indices=list(raw_sparse.indices), values=list(raw_sparse.values))
    return StoredPoint(
        id=str(record.id),
        payload=dict(record.payload or {}),
        dense=dense,
        sparse=sparse,
        score=float(getattr(record, "score", 0.0)),
    )
