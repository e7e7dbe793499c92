"""One contract for every store backend: Qdrant Edge (embedded) and qdrant-client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mlkb.embed.fake import FakeEmbedder
from mlkb.embed.sparse import bm25_document, bm25_query
from mlkb.records import point_id
from mlkb.store.base import CollectionMeta, Filters, QueryPlan, Store, StoredPoint

EMB = FakeEmbedder(32)
TEXTS = {
    "a": ("recipe", "monitoring", ["drift"], "population stability index drift for pricing"),
    "b": ("recipe", "optimization", ["quantization"], "int8 quantization of bert on cpu"),
    "c": ("paper", None, ["drift"], "detecting dataset shift with two sample tests"),
    "d": ("guide", None, ["serving"], "dynamic batching in triton inference server"),
}


def _points() -> list[StoredPoint]:
    out = []
    for i, (key, (kind, area, tags, text)) in enumerate(TEXTS.items()):
        payload = {
            "key": key,
            "item_id": key,
            "kind": kind,
            "source": "test",
            "tags": tags,
            "text": text,
            "title": text[:20],
            "position": 0 if kind != "recipe" else None,
            "published": dt.datetime(2020 + i, 1, 1, tzinfo=dt.UTC).isoformat(),
        }
        if area:
            payload["area"] = area
        if kind != "recipe":
            payload["doc_id"] = key
        else:
            payload["recipe"] = {"problem": f"how to {text}", "solution": "long text " * 50}
        out.append(
            StoredPoint(
                id=point_id(key),
                payload=payload,
                dense=EMB.embed_query(text),
                sparse=bm25_document(text),
            )
        )
    return out


@pytest.fixture(params=["edge", "edge-reopened", "server-memory", "server-path"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param.startswith("edge"):
        from mlkb.store.edge import EdgeStore

        s: Store = EdgeStore(tmp_path / "edge")
    else:
        from mlkb.store.server import ServerStore, connect

        url = ":memory:" if request.param == "server-memory" else f"path:{tmp_path / 'local'}"
        s = ServerStore(connect(url, None), "contract")
    s.create(CollectionMeta(model="fake", dim=32))
    s.upsert(_points())
    if request.param == "edge-reopened":
        # Optimized segments reloaded from disk: the memory-mapped payload indexes.
        s.optimize()
        s.close()
        s = EdgeStore(tmp_path / "edge")
    yield s
    s.close()


def test_edge_payload_indexes_are_memory_mapped(tmp_path: Path) -> None:
    from mlkb.store.base import INDEXED_FIELDS
    from mlkb.store.edge import EdgeStore

    store = EdgeStore(tmp_path / "edge")
    store.create(CollectionMeta(model="fake", dim=32))
    schema = store.shard.info().payload_schema
    store.close()
    assert set(schema) == set(INDEXED_FIELDS)
    assert all(index.params.on_disk for index in schema.values())
    assert not schema["doc_id"].params.enable_hnsw
    assert schema["kind"].params.enable_hnsw


def test_dense_vectors_are_stored_as_float16(tmp_path: Path) -> None:
    from qdrant_client import models as m

    from mlkb.store.edge import EdgeStore
    from mlkb.store.server import ServerStore, connect

    edge = EdgeStore(tmp_path / "edge")
    edge.create(CollectionMeta(model="fake", dim=32))
    point = _points()[0]
    edge.upsert([point])
    got = np.asarray(edge.retrieve([point.id], vectors=True)[0].dense, dtype=np.float32)
    edge.close()
    want = np.asarray(point.dense, dtype=np.float32)
    assert np.array_equal(got.astype(np.float16).astype(np.float32), got)  # f16 values
    assert not np.array_equal(want.astype(np.float16).astype(np.float32), want)
    assert float(got @ want / np.linalg.norm(got) / np.linalg.norm(want)) > 0.9999

    server = ServerStore(connect(":memory:", None), "f16")
    server.create(CollectionMeta(model="fake", dim=32))
    params = server.client.get_collection("f16").config.params.vectors
    assert isinstance(params, dict) and params["dense"].datatype == m.Datatype.FLOAT16


def test_edge_write_sessions_end_the_wal_with_a_tiny_operation(tmp_path: Path) -> None:
    """On load the engine decodes the WAL from its acknowledged operation, the last one
    written. After writes, the store closes with a no-op delete so that operation is not
    a bulk upsert; sessions that only read write nothing."""
    import json

    from mlkb.store.edge import EdgeStore

    def acked() -> int:
        return int(json.loads((tmp_path / "edge/shard/wal/first-index").read_text())["ack_index"])

    store = EdgeStore(tmp_path / "edge")
    store.create(CollectionMeta(model="fake", dim=32))
    store.close()
    created = acked()

    store = EdgeStore(tmp_path / "edge")
    store.upsert(_points())
    store.close()
    assert acked() == created + 2  # the upsert, then the marker

    store = EdgeStore(tmp_path / "edge")
    assert store.count() == len(TEXTS)  # the marker deletes nothing
    store.close()
    assert acked() == created + 2


def test_an_edge_store_left_open_for_exit_closes_if_the_process_goes_on(tmp_path: Path) -> None:
    """``close(exiting=True)`` keeps a read session's shard and lock; ``close_left_open``
    (for a process that did not end after all) closes them, and the store opens again."""
    from mlkb.errors import StoreLocked
    from mlkb.store.edge import EdgeStore, close_left_open

    store = EdgeStore(tmp_path / "edge")
    store.create(CollectionMeta(model="fake", dim=32))
    store.upsert(_points())
    store.close(exiting=True)  # this session wrote: closed at once
    store = EdgeStore(tmp_path / "edge")
    assert store.count() == len(TEXTS)
    store.close(exiting=True)
    with pytest.raises(StoreLocked):
        EdgeStore(tmp_path / "edge")
    close_left_open()
    store = EdgeStore(tmp_path / "edge")
    assert store.count() == len(TEXTS)
    store.close()


def test_meta_is_recorded(store: Store) -> None:
    meta = store.meta()
    assert meta is not None and (meta.model, meta.dim) == ("fake", 32)


def test_meta_can_be_updated_and_the_points_stay(store: Store) -> None:
    store.update_meta(CollectionMeta(model="fake", dim=32, extra={"dropped_seeds": ["a"]}))
    meta = store.meta()
    assert meta is not None and meta.extra == {"dropped_seeds": ["a"]} and meta.model == "fake"
    store.update_meta(CollectionMeta(model="fake", dim=32))
    assert store.meta() == CollectionMeta(model="fake", dim=32) and store.count() == len(TEXTS)


def test_count_retrieve_and_delete(store: Store) -> None:
    assert store.count() == store.count(exact=False) == 4
    got = store.retrieve([point_id("a"), point_id("zzz")], vectors=True)
    assert [p.payload["item_id"] for p in got] == ["a"]
    assert got[0].dense is not None and len(got[0].dense) == 32
    assert got[0].sparse is not None and got[0].sparse.indices
    store.delete([point_id("a")])
    store.delete(filters=Filters(doc_id="c"))
    assert store.count() == store.count(exact=False) == 2
    assert store.retrieve([point_id("a")]) == []
    # the estimate KnowledgeBase opens with to tell an empty store: all deleted is empty
    store.delete([p.id for p in store.scroll(Filters(), limit=10)[0]])
    assert store.count() == store.count(exact=False) == 0


@pytest.mark.parametrize("fusion", ["dbsf", "rrf"])
def test_hybrid_query_ranks_the_matching_point_first(store: Store, fusion: str) -> None:
    text = "drift pricing population stability"
    plan = QueryPlan(
        dense=EMB.embed_query(text), sparse=bm25_query(text), limit=4, prefetch=10, fusion=fusion
    )
    ranked = store.query(plan)
    assert ranked[0].payload["item_id"] == "a"
    assert ranked[0].score >= ranked[-1].score


@pytest.mark.parametrize("hybrid", [True, False])
def test_query_returns_only_the_planned_payload_fields(store: Store, hybrid: bool) -> None:
    text = "drift pricing population stability"
    plan = QueryPlan(
        dense=EMB.embed_query(text),
        sparse=bm25_query(text) if hybrid else None,
        limit=4,
        prefetch=10,
        payload=("item_id", "recipe.problem", "tags"),
    )
    ranked = store.query(plan)
    want = {"item_id": "a", "tags": ["drift"], "recipe": {"problem": "how to " + TEXTS["a"][3]}}
    assert ranked[0].payload == want
    assert all(set(p.payload) <= {"item_id", "tags", "recipe"} for p in ranked)


def test_query_without_payload_then_retrieve_the_fields(store: Store) -> None:
    text = "drift pricing population stability"
    full = store.query(QueryPlan(dense=EMB.embed_query(text), sparse=None, limit=4, prefetch=10))
    bare = store.query(
        QueryPlan(dense=EMB.embed_query(text), sparse=None, limit=4, prefetch=10, payload=())
    )
    assert [p.id for p in bare] == [p.id for p in full]
    assert [p.score for p in bare] == pytest.approx([p.score for p in full], abs=1e-6)
    assert all(p.payload == {} for p in bare)
    got = store.retrieve([p.id for p in bare[:2]], payload=("item_id", "recipe.problem"))
    want = {p.id: {"item_id": p.payload["item_id"]} for p in full[:2]}
    want[point_id("a")]["recipe"] = {"problem": "how to " + TEXTS["a"][3]}
    assert {p.id: p.payload for p in got} == want


def test_dense_only_and_sparse_only(store: Store) -> None:
    dense = store.query(
        QueryPlan(dense=EMB.embed_query(TEXTS["d"][3]), sparse=None, limit=1, prefetch=10)
    )
    assert dense[0].payload["item_id"] == "d"
    sparse = store.query(
        QueryPlan(dense=None, sparse=bm25_query("bert int8"), limit=1, prefetch=10)
    )
    assert sparse[0].payload["item_id"] == "b"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(kind=["recipe"]), {"a", "b"}),
        (Filters(area=["optimization"]), {"b"}),
        (Filters(tags=["drift"]), {"a", "c"}),
        (Filters(tags=["drift"], kind=["paper"]), {"c"}),
        (Filters(exclude_item="a", tags=["drift"]), {"c"}),
        (Filters(published_from=dt.date(2022, 1, 1)), {"c", "d"}),
        (Filters(published_to=dt.date(2021, 6, 1)), {"a", "b"}),
        (Filters(kind=["paper", "guide"], max_position=0), {"c", "d"}),
    ],
)
def test_filters(store: Store, filters: Filters, expected: set[str]) -> None:
    text = "drift"
    plan = QueryPlan(
        dense=EMB.embed_query(text), sparse=bm25_query(text), limit=10, prefetch=10, filters=filters
    )
    assert {p.payload["item_id"] for p in store.query(plan)} == expected
    assert store.count(filters) == len(expected)


def test_scroll_pages_through_everything(store: Store) -> None:
    seen, offset = [], None
    while True:
        page, offset = store.scroll(Filters(), 3, offset)
        seen += [p.payload["item_id"] for p in page]
        if offset is None:
            break
    assert sorted(seen) == ["a", "b", "c", "d"]


def test_facet_counts(store: Store) -> None:
    assert store.facet("kind") == {"recipe": 2, "paper": 1, "guide": 1}


def test_upsert_replaces_payload(store: Store) -> None:
    point = _points()[0]
    point.payload["title"] = "changed"
    store.upsert([point])
    assert store.count() == 4
    assert store.retrieve([point.id])[0].payload["title"] == "changed"


def test_recreate_drops_old_points(store: Store) -> None:
    store.create(CollectionMeta(model="other", dim=8))
    assert store.count() == 0
    meta = store.meta()
    assert meta is not None and meta.model == "other"
