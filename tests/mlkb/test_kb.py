"""KnowledgeBase on the embedded store with the fake embedder."""

from __future__ import annotations

import random

import pytest

from mlkb import (
    DuplicateId,
    InputError,
    InvalidQuery,
    KnowledgeBase,
    ModelMismatch,
    NotFound,
    SearchRequest,
    Settings,
    StoreLocked,
)
from mlkb.embed.fake import FakeEmbedder
from mlkb.embed.sparse import bm25_query
from mlkb.schema import (
    AddStatus,
    Area,
    DocumentView,
    Kind,
    Recipe,
    SearchMode,
    normalize_text,
)
from mlkb.seeds import shipped_recipes
from mlkb.store.base import Filters, QueryPlan, StoredPoint
from tests.mlkb.helpers import make_document, make_recipe, walk_pages


def test_first_open_seeds_the_shipped_recipes(fake_kb: KnowledgeBase) -> None:
    assert fake_kb.stats()["recipes"] == len(shipped_recipes()) > 0


def test_search_finds_a_seeded_recipe_by_its_title(fake_kb: KnowledgeBase) -> None:
    recipe = next(r for r in shipped_recipes() if r.id == "drift-psi-pricing")
    hits = fake_kb.search(recipe.title).hits
    hit = next(h for h in hits[:3] if h.id == recipe.id)
    assert hit.kind is Kind.recipe and hit.area == recipe.area.value
    assert hit.snippet


def test_search_pages_are_slices_of_one_ranking(fake_kb: KnowledgeBase) -> None:
    query = "drift in production features"
    whole = fake_kb.search(SearchRequest(query=query, k=12))
    first = fake_kb.search(SearchRequest(query=query, k=6))
    second = fake_kb.search(SearchRequest(query=query, k=6, offset=first.next_offset or 0))
    assert first.next_offset == 6 and second.offset == 6 and second.next_offset == 12
    assert [h.id for h in first.hits + second.hits] == [h.id for h in whole.hits]
    # the last page says no other follows; past the end, no hits
    recipes = SearchRequest(query=query, area=[Area.monitoring], k=100)
    total = len(fake_kb.search(recipes).hits)
    assert 10 < total == sum(r.area is Area.monitoring for r in shipped_recipes())
    last = fake_kb.search(recipes.model_copy(update={"offset": total - 3, "k": 5}))
    assert len(last.hits) == 3 and last.next_offset is None
    beyond = fake_kb.search(recipes.model_copy(update={"offset": total}))
    assert beyond.hits == [] and beyond.next_offset is None and beyond.offset == total


@pytest.mark.parametrize("mode", list(SearchMode))
def test_deep_pages_are_slices_of_one_ranking(fake_kb: KnowledgeBase, mode: SearchMode) -> None:
    """Past the first candidates (offset + k >= 50), pages of any size still cut one
    ranking: the walk repeats no hit, and small and large pages list the same hits."""
    request = SearchRequest(query="model monitoring", k=10, mode=mode)
    small = walk_pages(fake_kb, request)
    assert len(small) == len(set(small)) > 120
    assert small == walk_pages(fake_kb, request.model_copy(update={"k": 100}))
    deep = fake_kb.search(request.model_copy(update={"offset": 45, "k": 20}))
    assert [h.id for h in deep.hits] == small[45:65]


class TiedStore:
    """Ranks like the engine: scores that depend on the prefetch depth (as DBSF's do), ties
    in a new order every call, and an arbitrary share of a tie at the cut."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def query(self, plan: QueryPlan) -> list[StoredPoint]:
        union = min(300, 2 * plan.prefetch)
        scored = [(f"p{i:03}", float((i * 7919 + plan.prefetch) % 13)) for i in range(union)]
        self.rng.shuffle(scored)
        scored.sort(key=lambda p: -p[1])
        return [StoredPoint(id=i, payload={}, score=s) for i, s in scored[: plan.limit]]


@pytest.mark.parametrize("prefixes", [False, True])
def test_layered_points_are_one_ranking_whatever_depth_is_asked(prefixes: bool) -> None:
    from mlkb.search import layered_points

    def plan(limit: int) -> QueryPlan:
        return QueryPlan(dense=None, sparse=None, limit=limit, prefetch=max(20, limit // 2))

    layers = (10, 40, 200)
    whole = layered_points(TiedStore(0), plan, layers, prefixes=prefixes)(1000)  # type: ignore[arg-type]
    assert len(whole) == len({p.id for p in whole}) == 200
    for seed in range(1, 6):
        growing = layered_points(TiedStore(seed), plan, layers, prefixes=prefixes)  # type: ignore[arg-type]
        for n in (1, 7, 10, 23, 44, 90, 176, 250):
            fresh = layered_points(TiedStore(seed + n), plan, layers, prefixes=prefixes)  # type: ignore[arg-type]
            assert fresh(n) == growing(n) == whole[:n]


def test_a_page_fills_when_chunks_of_two_documents_take_every_candidate(
    empty_kb: KnowledgeBase,
) -> None:
    """Two long documents about zebras (many chunks each) outrank a short one in every
    candidate the first query ranks; asking again for more finds the third."""
    long_text = "# Zebras\n\n" + "Zebra stripes and zebra herds, zebra migration. " * 400
    docs = [
        make_document("file:notes/a.md", text=long_text, title="Zebras A"),
        make_document("file:notes/b.md", text=long_text, title="Zebras B"),
        make_document("file:notes/c.md", text="# Savanna\n\nOne zebra was seen.", title="C"),
    ]
    list(empty_kb.add_documents(docs))
    assert empty_kb.store.count(Filters(doc_id="file:notes/a.md")) > 20
    request = SearchRequest(query="zebra", k=3, mode="sparse", kind=[Kind.note, Kind.guide])
    found = empty_kb.search(request)
    assert len(found.hits) == 3
    assert found.hits[-1].id == "file:notes/c.md" and found.next_offset is None


def test_no_next_page_is_offered_deeper_than_a_search_serves() -> None:
    import time

    from mlkb.schema import MAX_OFFSET, Hit
    from mlkb.search import page_of

    hits = [Hit(id=f"r-{i}", kind=Kind.recipe, title="t", score=1.0) for i in range(1200)]
    assert page_of("q", hits, 980, 10, time.perf_counter()).next_offset == 990
    last = page_of("q", hits, MAX_OFFSET - 5, 10, time.perf_counter())
    assert len(last.hits) == 10 and last.next_offset is None  # 1005 would be refused


def test_similar_pages_like_search(fake_kb: KnowledgeBase) -> None:
    whole = fake_kb.similar("drift-psi-pricing", k=6)
    second = fake_kb.similar("drift-psi-pricing", k=3, offset=3)
    assert whole.next_offset == 6 and second.offset == 3 and second.next_offset == 6
    assert [h.id for h in second.hits] == [h.id for h in whole.hits[3:]]
    with pytest.raises(InputError):
        fake_kb.similar("drift-psi-pricing", offset=-1)


def test_add_recipe_is_idempotent_and_versions_changes(empty_kb: KnowledgeBase) -> None:
    recipe = make_recipe()
    assert empty_kb.add_recipe(recipe).status is AddStatus.new
    assert empty_kb.add_recipe(recipe).status is AddStatus.unchanged
    changed = make_recipe(problem="A different problem statement about label delay and drift.")
    with pytest.raises(DuplicateId):
        empty_kb.add_recipe(changed)
    assert empty_kb.add_recipe(changed, replace=True).status is AddStatus.updated
    stored = empty_kb.get("test-recipe")
    assert isinstance(stored, Recipe) and stored.version == 2 and "label delay" in stored.problem
    assert empty_kb.stats()["recipes"] == 1


def test_seed_never_overwrites_a_user_edit(empty_kb: KnowledgeBase) -> None:
    empty_kb.add_recipe(make_recipe(title="My own edit of the recipe"), source="user")
    result = empty_kb.add_recipes([make_recipe()], source="seed", replace=True)
    assert result[0].status is AddStatus.unchanged
    assert empty_kb.get("test-recipe").title == "My own edit of the recipe"  # type: ignore[union-attr]


def test_duplicate_ids_in_one_batch_are_rejected(empty_kb: KnowledgeBase) -> None:
    with pytest.raises(DuplicateId):
        empty_kb.add_recipes([make_recipe(), make_recipe()])
    assert empty_kb.stats()["recipes"] == 0


def test_document_add_rerun_and_change(empty_kb: KnowledgeBase) -> None:
    doc = make_document()
    first = empty_kb.add_document(doc)
    assert first.status is AddStatus.new and first.chunks >= 3
    assert empty_kb.add_document(doc).status is AddStatus.unchanged
    assert empty_kb.stats()["chunks"] == first.chunks
    shorter = make_document(text="# Serving guide\n\nOnly one short section now.\n")
    result = empty_kb.add_document(shorter)
    assert result.status is AddStatus.updated and result.chunks == 1
    assert empty_kb.stats()["chunks"] == 1  # stale chunks were deleted
    view = empty_kb.get(doc.id)
    assert isinstance(view, DocumentView) and view.text == shorter.text.strip()
    assert "Only one short section" in empty_kb.search("short section").hits[0].snippet


class _FailsOnSecondBatch(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        self.batches += 1
        if self.batches == 2:
            raise RuntimeError("the model failed")
        return super().embed_documents(texts)


def test_a_batch_that_fails_to_embed_leaves_the_batches_before_it_whole(
    fake_settings: Settings,
) -> None:
    """Batches are embedded on a thread while the next is chunked: an embedding error
    still reaches the caller, after the earlier batch's documents were written whole and
    before any of the failing batch's."""
    embedder = _FailsOnSecondBatch()
    batch = fake_settings.embed_batch_size * 4  # chunks per embedding batch
    docs = [make_document(f"file:{i}.md", text=f"Note {i} on caching.") for i in range(batch * 3)]
    with KnowledgeBase(fake_settings, embedder=embedder, seed=False) as kb:
        results = []
        with pytest.raises(RuntimeError, match="the model failed"):
            for result in kb.add_documents(docs):
                results.append(result)
        assert [r.id for r in results] == [d.id for d in docs[:batch]]
        assert kb.stats()["chunks"] == batch
        assert next(kb.add_documents(docs[:1])).status is AddStatus.unchanged


def test_document_view_reassembles_text_and_provenance(empty_kb: KnowledgeBase) -> None:
    doc = make_document()
    empty_kb.add_document(doc)
    view = empty_kb.get(doc.id)
    assert isinstance(view, DocumentView)
    assert normalize_text(view.text) == normalize_text(doc.text)
    assert ["Serving guide", "Dynamic batching"] in [c.section for c in view.chunks]
    for chunk in view.chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text


def test_document_hits_are_grouped_and_filterable(empty_kb: KnowledgeBase) -> None:
    empty_kb.add_document(make_document())
    empty_kb.add_recipe(make_recipe())
    hits = empty_kb.search(SearchRequest(query="batch requests GPU utilisation", k=10)).hits
    assert [h.id for h in hits].count("file:notes/guide.md") == 1
    only_guides = empty_kb.search(SearchRequest(query="drift", kind=[Kind.guide])).hits
    assert {h.kind for h in only_guides} == {Kind.guide}
    by_source = empty_kb.search(SearchRequest(query="drift", source=["file"])).hits
    assert {h.source for h in by_source} == {"file"}


def test_grouping_reads_payloads_in_two_calls_and_matches_grouping_every_candidate(
    empty_kb: KnowledgeBase,
) -> None:
    # Documents of many chunks on one theme: the best candidates repeat items, so the
    # payloads of the k best cannot fill k and the second read must.
    for n in range(6):
        text = "".join(
            f"Batching requests on GPU {n} raises utilisation, step {i} cuts latency. "
            for i in range(60)
        )
        empty_kb.add_document(make_document(f"file:notes/gpu-{n}.md", text=text))
    request = SearchRequest(query="batching GPU requests utilisation latency", k=4)
    hits = empty_kb.search(request).hits

    plan = QueryPlan(
        dense=empty_kb.embedder.embed_query(request.query),
        sparse=bm25_query(request.query),
        limit=empty_kb.tuning.candidates(request.k),
        prefetch=empty_kb.tuning.prefetch,
        sparse_weight=empty_kb.tuning.sparse_weight,
    )
    ranked = empty_kb.store.query(plan)  # every candidate with its whole payload
    items = [str(p.payload["item_id"]) for p in ranked]
    assert len(set(items[:4])) < 4  # the first window alone cannot fill k
    assert len(set(items)) > len(set(items[:4]))  # the later candidates can
    expected, seen = [], set()
    for point, item in zip(ranked, items, strict=True):
        if item not in seen:
            seen.add(item)
            expected.append((item, point.payload["position"], round(point.score, 6)))
    got = [(h.id, h.chunk, round(h.score, 6)) for h in hits]
    assert got == expected[:4]
    assert len(got) >= 3


def test_similar_excludes_the_item_itself(fake_kb: KnowledgeBase) -> None:
    recipe = shipped_recipes()[0]
    hits = fake_kb.similar(recipe.id, k=5).hits
    assert len(hits) == 5 and recipe.id not in {h.id for h in hits}


def test_delete_recipe_and_document(empty_kb: KnowledgeBase) -> None:
    empty_kb.add_recipe(make_recipe())
    empty_kb.add_document(make_document())
    empty_kb.delete("test-recipe")
    empty_kb.delete("file:notes/guide.md")
    assert empty_kb.stats()["points"] == 0
    with pytest.raises(NotFound):
        empty_kb.delete("test-recipe")


@pytest.mark.parametrize("item_id", ["no-such-recipe", "arxiv:0000.00000"])
def test_unknown_ids(fake_kb: KnowledgeBase, item_id: str) -> None:
    with pytest.raises(NotFound, match=item_id):
        fake_kb.get(item_id)
    with pytest.raises(NotFound):
        fake_kb.similar(item_id)


@pytest.mark.parametrize("query", ["", "   \n", "x" * 10_001])
def test_bad_queries(fake_kb: KnowledgeBase, query: str) -> None:
    with pytest.raises(InvalidQuery):
        fake_kb.search(query)


def test_query_at_the_limit_is_fine(fake_kb: KnowledgeBase) -> None:
    assert fake_kb.search("drift " * 1666).hits


def test_list_recipes_pages_and_filters(fake_kb: KnowledgeBase) -> None:
    page, total = fake_kb.list_recipes(limit=5)
    assert len(page) == 5 and total == len(shipped_recipes())
    monitoring, n = fake_kb.list_recipes(area="monitoring", limit=1000)
    assert n == len(monitoring) > 0 and {r.area.value for r in monitoring} == {"monitoring"}


def test_a_second_opener_gets_a_clear_error(
    fake_kb: KnowledgeBase, fake_settings: Settings
) -> None:
    with pytest.raises(StoreLocked, match=str(fake_settings.store_path)):
        KnowledgeBase(fake_settings, embedder=FakeEmbedder())


def test_lock_is_released_on_close(fake_settings: Settings) -> None:
    KnowledgeBase(fake_settings, embedder=FakeEmbedder(), seed=False).close()
    KnowledgeBase(fake_settings, embedder=FakeEmbedder(), seed=False).close()


def test_store_built_with_another_model(fake_settings: Settings) -> None:
    KnowledgeBase(fake_settings, embedder=FakeEmbedder(), seed=False).close()

    with pytest.raises(ModelMismatch, match="mlkb reindex"):
        KnowledgeBase(fake_settings, embedder=FakeEmbedder(32))


def test_seed_sync_drops_recipes_no_longer_shipped(empty_kb: KnowledgeBase) -> None:
    empty_kb.add_recipes([make_recipe("old-seed"), make_recipe("kept-seed")], source="seed")
    empty_kb.add_recipe(make_recipe("users-own"), source="user")
    assert empty_kb.remove_stale_seeds({"kept-seed"}) == ["old-seed"]
    remaining = {r.id for r in empty_kb.list_recipes()[0]}
    assert remaining == {"kept-seed", "users-own"}


def test_stats_count_items_by_kind_and_source(empty_kb: KnowledgeBase) -> None:
    long_text = "# Warmup\n\n" + "Warm the learning rate up over 2000 steps. " * 400
    empty_kb.add_document(make_document("file:notes/long.md", text=long_text))
    empty_kb.add_document(make_document("file:notes/short.md", text="Clip at norm 1.0."))
    stats = empty_kb.stats()
    assert stats["chunks"] > 2  # the long note is many chunks ...
    assert stats["by_kind"] == {"guide": 2} and stats["by_source"] == {"file": 2}  # ... one item


def test_list_documents_pages_and_filters(empty_kb: KnowledgeBase) -> None:
    for i in range(3):
        empty_kb.add_document(make_document(f"file:notes/n{i}.md", title=f"Note {i}"))
    empty_kb.add_document(make_document("arxiv:2106.09685", kind=Kind.paper, source="arxiv"))
    empty_kb.add_recipe(make_recipe())
    everything, total = empty_kb.list_documents()
    assert total == 4 and everything[0].id == "arxiv:2106.09685"  # sorted by source first
    assert all(d.chunks >= 1 for d in everything)
    page, total = empty_kb.list_documents(source="file", limit=2, offset=1)
    assert total == 3 and [d.id for d in page] == ["file:notes/n1.md", "file:notes/n2.md"]
    papers, _ = empty_kb.list_documents(kind=["paper"])
    assert [(d.id, d.kind.value, d.source) for d in papers] == [
        ("arxiv:2106.09685", "paper", "arxiv")
    ]


def test_a_damaged_payload_reads_as_a_named_error(empty_kb: KnowledgeBase) -> None:
    """A chunk written by hand (or an old import) that no longer reads: get() says which
    item and how to fix it, rather than a pydantic error from deep inside."""
    from mlkb.errors import StoreUnavailable
    from mlkb.records import point_id

    doc = make_document("file:broken.md")
    list(empty_kb.add_documents([doc]))
    head = empty_kb.store.retrieve([point_id("file:broken.md#0")])[0].payload
    damaged = {**head, "text": 123}
    empty_kb.write_points([damaged], [[0.0] * empty_kb.embedder.dim])
    with pytest.raises(StoreUnavailable, match=r"'file:broken.md' is damaged in the store") as err:
        empty_kb.get("file:broken.md")
    assert "mlkb rm file:broken.md" in str(err.value)
    assert "DELETE /v1/items/file:broken.md" in err.value.said_to("api")
    assert "text: Input should be a valid string" in str(err.value)
    empty_kb.delete("file:broken.md")  # the fix the message names works
    with pytest.raises(NotFound):
        empty_kb.get("file:broken.md")
