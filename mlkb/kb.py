"""KnowledgeBase: the facade every edge (CLI, API, TUI, ingest) goes through."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from mlkb._kb_documents import WRITE_BATCH, DocumentWrites
from mlkb._kb_errors import readable, replace_hints, unknown_item
from mlkb.chunking import ChunkBudget
from mlkb.embed.base import DenseEmbedder
from mlkb.embed.factory import make_embedder
from mlkb.errors import DuplicateId, InputError, ModelMismatch, NotFound
from mlkb.records import (
    chunk_key,
    document_view,
    is_document_id,
    point_id,
    recipe_from_payload,
    recipe_key,
    recipe_payload,
    stored_id,
)
from mlkb.schema import (
    MAX_OFFSET,
    AddResult,
    AddStatus,
    DocumentSummary,
    DocumentView,
    Kind,
    Recipe,
    SearchRequest,
    SearchResult,
)
from mlkb.search import SearchTuning, page_of, search_request, similar_to, validate_query
from mlkb.search import search as run_search
from mlkb.settings import Settings
from mlkb.store.base import CollectionMeta, Filters, Store, StoredPoint
from mlkb.store.factory import open_store, peek_meta
from mlkb.weights import follow_store, new_collection_meta, store_weights

DOC_KINDS = [k.value for k in Kind if k is not Kind.recipe]


class KnowledgeBase(DocumentWrites):
    """Recipes and documents in a vector store, searchable by meaning and by keywords."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: Store | None = None,
        embedder: DenseEmbedder | None = None,
        check_model: bool = True,
        seed: bool | None = None,
        prepare_query: bool = False,
    ) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or make_embedder(self.settings)
        if prepare_query:  # a process about to search: load the model while the store opens
            if store is None:
                follow_store(self.embedder, peek_meta(self.settings))
            self.embedder.prepare_query()
        self.store = store or open_store(self.settings)
        self.tuning = SearchTuning()
        words = self.settings.chunk_words
        self._budget = ChunkBudget(
            max_words=words,
            overlap=min(self.settings.chunk_overlap, words // 2 - 1),
            min_words=min(40, words),
        )
        self._write_lock = threading.RLock()
        try:
            self._prepare(check_model, self.settings.seed_on_first_use if seed is None else seed)
        except BaseException:
            self.store.close()
            raise

    # -- lifecycle --------------------------------------------------------------------
    def _prepare(self, check_model: bool, seed: bool) -> None:
        meta = self.store.meta()
        if meta is None:
            self.store.create(self.new_collection_meta())
            meta = self.store.meta()
        follow_store(self.embedder, meta)
        # A new store is seeded, and so is an empty one: a process killed after creating
        # the collection but before writing the seeds (one batch) leaves an empty store.
        if (
            seed
            and meta is not None
            and meta.model == self.embedder.name
            and self.store.count(exact=False) == 0  # every open: 0.1 ms, not 10-16 exact
        ):
            from mlkb.seeding import sync_seeds

            sync_seeds(self)
        elif check_model and meta is not None and meta.model != self.embedder.name:
            raise ModelMismatch(
                f"the store was built with the embedding model {meta.model!r} ({meta.dim}-d) "
                f"but MLKB_EMBED_MODEL is {self.embedder.name!r}; run `mlkb reindex` to rebuild "
                f"it with the new model, or set MLKB_EMBED_MODEL={meta.model}"
            )

    def new_collection_meta(self) -> CollectionMeta:
        """The record of a collection about to be (re)built with the configured model and
        weights (``mlkb.weights``)."""
        return new_collection_meta(self.embedder)

    def close(self, *, exiting: bool = False) -> None:
        """Flush and release the store (``exiting``: the process ends right after)."""
        self.store.close(exiting=exiting)

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- recipes ----------------------------------------------------------------------
    def add_recipe(
        self, recipe: Recipe, *, source: str = "user", replace: bool = False
    ) -> AddResult:
        """Add one recipe; an existing id needs ``replace=True`` unless nothing changed."""
        return self.add_recipes([recipe], source=source, replace=replace)[0]

    def add_recipes(
        self, recipes: Sequence[Recipe], *, source: str = "user", replace: bool = False
    ) -> list[AddResult]:
        """Add recipes in one batch. Unchanged ones are skipped; changed ones get a new
        version. Seeds never overwrite a recipe a user has edited."""
        ids = [r.id for r in recipes]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise DuplicateId(f"recipe id '{dup}' appears twice in this batch; ids must be unique")
        with self._write_lock:
            existing = {
                p.payload["item_id"]: p.payload
                for p in self.store.retrieve([point_id(recipe_key(i)) for i in ids])
            }
            results: list[AddResult] = []
            to_write: list[tuple[Recipe, str]] = []
            for recipe in recipes:
                old = existing.get(recipe.id)
                if old is None:
                    to_write.append((recipe, source))
                    results.append(AddResult(id=recipe.id, status=AddStatus.new))
                    continue
                if old.get("content_hash") == recipe.content_hash():
                    results.append(AddResult(id=recipe.id, status=AddStatus.unchanged))
                    continue
                if source == "seed" and old.get("source") != "seed":
                    results.append(AddResult(id=recipe.id, status=AddStatus.unchanged))
                    continue
                if not replace:
                    raise DuplicateId(
                        f"a recipe with id '{recipe.id}' already exists",
                        hints=replace_hints(recipe.id),
                    )
                prior = int(old.get("recipe", {}).get("version", 1))
                bumped = recipe.model_copy(
                    update={"version": max(recipe.version, prior + 1), "updated": dt.date.today()}
                )
                keep_source = old.get("source", source) if source == "seed" else source
                to_write.append((bumped, str(keep_source)))
                results.append(AddResult(id=recipe.id, status=AddStatus.updated))
            self._write_recipes(to_write)
        return results

    def _write_recipes(self, items: list[tuple[Recipe, str]]) -> None:
        for start in range(0, len(items), WRITE_BATCH):
            batch = items[start : start + WRITE_BATCH]
            payloads = [recipe_payload(r, s) for r, s in batch]
            self.store.upsert(self._points(payloads))
        if len(items) > 1:
            self.store.optimize()

    def remove_stale_seeds(self, shipped: set[str]) -> list[str]:
        """Delete seeded recipes that are no longer shipped (user recipes are kept)."""
        flt = Filters(kind=[Kind.recipe.value], source=["seed"])
        stale = [
            p.payload["item_id"]
            for p in self._scroll_all(flt)
            if p.payload["item_id"] not in shipped
        ]
        with self._write_lock:
            self.store.delete([point_id(recipe_key(i)) for i in stale])
        return stale

    def list_recipes(
        self,
        *,
        area: str | Sequence[str] | None = None,
        tag: str | Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Recipe], int]:
        """A page of recipes sorted by area and id, and how many match in all. Several
        areas or tags mean any of them."""
        flt = Filters(kind=[Kind.recipe.value], area=_values(area), tags=_values(tag))
        payloads = [p.payload for p in self._scroll_all(flt)]
        payloads.sort(key=lambda p: (p.get("area", ""), p["item_id"]))
        page = payloads[offset : offset + limit]
        return [recipe_from_payload(p) for p in page], len(payloads)

    def list_documents(
        self,
        *,
        kind: str | Sequence[str] | None = None,
        source: str | Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DocumentSummary], int]:
        """A page of documents sorted by source and id, and how many match in all."""
        kinds = _values(kind) or list(DOC_KINDS)
        flt = Filters(kind=kinds, source=_values(source), max_position=0)
        heads = [p.payload for p in self._scroll_all(flt)]
        heads.sort(key=lambda p: (p.get("source", ""), p["doc_id"]))
        page = [
            DocumentSummary(
                id=p["doc_id"],
                kind=p["kind"],
                source=p["source"],
                title=p["title"],
                url=p.get("url"),
                published=p.get("published"),
                tags=p.get("tags") or [],
                chunks=int(p.get("n_chunks", 1)),
            )
            for p in heads[offset : offset + limit]
        ]
        return page, len(heads)

    # -- reads ------------------------------------------------------------------------
    def search(self, request: SearchRequest | str) -> SearchResult:
        """Hybrid search; a plain string searches everything with the defaults."""
        if isinstance(request, str):
            request = search_request(query=request)
        return run_search(
            self.store,
            self.embedder,
            request,
            self.tuning,
            max_chars=self.settings.max_query_chars,
        )

    def similar(
        self, item_id: str, k: int = 10, filters: Filters = Filters(), *, offset: int = 0
    ) -> SearchResult:
        """Items most like a stored one (a recipe, or a document by its opening chunk);
        ``offset`` pages through them as a search does."""
        item_id = stored_id(item_id)
        started = time.perf_counter()
        if not 0 <= offset <= MAX_OFFSET:
            raise InputError(f"offset {offset} is not within 0-{MAX_OFFSET}")
        key = chunk_key(item_id, 0) if is_document_id(item_id) else recipe_key(item_id)
        found = self.store.retrieve([point_id(key)], vectors=True)
        if not found:
            raise unknown_item(item_id)
        hits = similar_to(self.store, found[0], offset + k + 1, filters)
        return page_of(f"similar:{item_id}", hits, offset, k, started)

    def get(
        self, item_id: str, *, chunk: int | None = None, around: int = 0
    ) -> Recipe | DocumentView:
        """The full recipe, or the document reassembled from its chunks: all of them, or
        chunk ``chunk`` and ``around`` chunks each side (the passage around a hit)."""
        item_id = stored_id(item_id)
        if not is_document_id(item_id):
            found = self.store.retrieve([point_id(recipe_key(item_id))])
            if not found:
                raise unknown_item(item_id)
            if chunk:  # a recipe is one piece: chunk 0, as a document's range is 0-n
                raise NotFound(f"recipe '{item_id}' has no chunk {chunk}; a recipe is one piece")
            return readable(item_id, recipe_from_payload, found[0].payload)
        head = self.store.retrieve([point_id(chunk_key(item_id, 0))])
        if not head or "doc" not in head[0].payload:
            raise unknown_item(item_id)
        where = Filters(doc_id=item_id)
        if chunk is not None:
            where = Filters(
                doc_id=item_id, min_position=chunk - around, max_position=chunk + around
            )
        chunks = [p.payload for p in self._scroll_all(where)]
        if chunk is not None and not any(int(c["position"]) == chunk for c in chunks):
            last = self.store.count(Filters(doc_id=item_id)) - 1
            raise NotFound(f"document '{item_id}' has no chunk {chunk}; its chunks are 0-{last}")
        return readable(item_id, document_view, head[0].payload, chunks)

    def delete(self, item_id: str) -> None:
        """Remove a recipe or a document with all its chunks. A curated recipe stays out
        of later syncs (``mlkb.seeding``)."""
        item_id = stored_id(item_id)
        document = is_document_id(item_id)
        key = point_id(chunk_key(item_id, 0) if document else recipe_key(item_id))
        with self._write_lock:
            # One read of the head point, not the whole item: it exists, and whose it is.
            found = self.store.retrieve([key], payload=["source", "doc"])
            if not found or (document and "doc" not in found[0].payload):
                raise unknown_item(item_id)
            if document:
                self.store.delete(filters=Filters(doc_id=item_id))
                return
            self.store.delete([key])
            # Recorded after the delete: a crash in between loses no data, and the next
            # sync brings the recipe back. A curated recipe the user edited counts too.
            from mlkb.seeds import shipped_ids

            if found[0].payload.get("source") == "seed" or item_id in shipped_ids():
                from mlkb.seeding import record_dropped

                record_dropped(self, [item_id])

    def stats(self) -> dict[str, Any]:
        """Counts by kind, area, source and tag, and how the store is built."""
        meta = self.store.meta()
        return {
            "points": self.store.count(),
            "recipes": self.store.count(Filters(kind=[Kind.recipe.value])),
            "documents": self.store.count(Filters(kind=DOC_KINDS, max_position=0)),
            "chunks": self.store.count(Filters(kind=DOC_KINDS)),
            "by_kind": self._items_by("kind"),
            "by_area": self.store.facet("area", Filters(kind=[Kind.recipe.value])),
            "by_source": self._items_by("source"),
            "by_tag": self._items_by("tags"),
            "model": meta.model if meta else self.embedder.name,
            "dim": meta.dim if meta else None,
            "weights": store_weights(meta) if meta else None,
            "backend": "server" if self.settings.qdrant_url else "embedded",
            "location": self.settings.qdrant_url or str(self.settings.store_path),
        }

    def _items_by(self, key: str) -> dict[str, int]:
        """Recipes and documents (not chunks) per value of ``key``."""
        counts = self.store.facet(key, Filters(kind=[Kind.recipe.value]))
        for value, n in self.store.facet(key, Filters(kind=DOC_KINDS, max_position=0)).items():
            counts[value] = counts.get(value, 0) + n
        return counts

    def validate_query(self, query: str) -> str:
        """The stripped query, or InvalidQuery."""
        return validate_query(query, self.settings.max_query_chars)

    # -- helpers ----------------------------------------------------------------------
    def _scroll_all(self, filters: Filters, *, vectors: bool = False) -> Iterator[StoredPoint]:
        offset: str | None = None
        while True:
            page, offset = self.store.scroll(filters, 256, offset, vectors=vectors)
            yield from page
            if offset is None:
                return

    def iter_points(self, *, vectors: bool = False) -> Iterator[StoredPoint]:
        """Every point in the store (for export and reindex)."""
        return self._scroll_all(Filters(), vectors=vectors)

    def write_points(
        self, payloads: list[dict[str, Any]], vectors: list[list[float]] | None
    ) -> None:
        """Upsert points from payloads, embedding them unless ``vectors`` are given."""
        with self._write_lock:
            self.store.upsert(self._points(payloads, vectors))


def _values(given: str | Sequence[str] | None) -> list[str]:
    if given is None:
        return []
    return [given] if isinstance(given, str) else list(given)
