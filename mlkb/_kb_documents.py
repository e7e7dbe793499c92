"""The knowledge base's document writes: chunk, embed and store, safe to interrupt."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mlkb.chunking import ChunkBudget, Pieces, chunk_markdown
from mlkb.embed.base import DenseEmbedder
from mlkb.embed.sparse import bm25_document
from mlkb.records import chunk_key, chunk_payload, embedding_head, embedding_text, point_id
from mlkb.schema import AddResult, AddStatus, Document
from mlkb.settings import Settings
from mlkb.store.base import Filters, Store, StoredPoint

if TYPE_CHECKING:
    from concurrent.futures import Future

WRITE_BATCH = 256

_Pending = list[tuple[Document, str, list[dict[str, Any]], AddStatus]]


class DocumentWrites:
    """``KnowledgeBase``'s methods that add documents and turn payloads into points."""

    settings: Settings
    store: Store
    embedder: DenseEmbedder
    _budget: ChunkBudget
    _write_lock: threading.RLock

    def add_document(self, doc: Document) -> AddResult:
        """Add or refresh one document (chunked, embedded, idempotent by content hash)."""
        return next(iter(self.add_documents([doc])))

    def add_documents(
        self, docs: Iterable[Document], *, on_result: Callable[[AddResult], None] | None = None
    ) -> Iterator[AddResult]:
        """Add documents, embedding chunks of several documents per batch.

        Write order makes an interrupted run safe to repeat: a document's chunks 1..n are
        written, stale chunks deleted, and chunk 0, which holds the content hash, last.
        A batch is embedded on a thread while the next is chunked and the last written,
        so the embedding sessions do not wait for that work.
        """
        from concurrent.futures import ThreadPoolExecutor

        embedding: tuple[_Pending, Future[list[StoredPoint]]] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="mlkb-embed") as embedder:
            try:
                for item in self._batches(docs, on_result):
                    if isinstance(item, AddResult):
                        yield item
                        continue
                    payloads = [p for _, _, doc_payloads, _ in item for p in doc_payloads]
                    last, embedding = embedding, (item, embedder.submit(self._points, payloads))
                    if last is not None:
                        yield from self._write_documents(*last, on_result)
                if embedding is not None:
                    yield from self._write_documents(*embedding, on_result)
            except BaseException:
                # An error or an interrupt: the batch being embedded ends (onnxruntime
                # cannot be stopped mid-run), the one queued behind it never starts.
                embedder.shutdown(wait=True, cancel_futures=True)
                raise
        self.store.optimize()

    def _batches(
        self, docs: Iterable[Document], on_result: Callable[[AddResult], None] | None
    ) -> Iterator[AddResult | _Pending]:
        """Documents chunked, in batches of about four embedding batches' chunks; a
        document stored with the same content hash comes back at once, unchanged."""
        pending: _Pending = []
        pending_chunks = 0
        for doc in docs:
            digest = doc.content_hash()
            head = self.store.retrieve([point_id(chunk_key(doc.id, 0))])
            if head and head[0].payload.get("content_hash") == digest:
                result = AddResult(
                    id=doc.id,
                    status=AddStatus.unchanged,
                    chunks=int(head[0].payload.get("n_chunks", 0)),
                )
                if on_result:
                    on_result(result)
                yield result
                continue
            chunks = chunk_markdown(
                doc.id,
                doc.text,
                self._budget,
                pieces=self._pieces(),
                head=functools.partial(embedding_head, doc.title),
            )
            payloads = [chunk_payload(doc, c, len(chunks), digest) for c in chunks]
            status = AddStatus.updated if head else AddStatus.new
            pending.append((doc, digest, payloads, status))
            pending_chunks += len(payloads)
            if pending_chunks >= self.settings.embed_batch_size * 4:
                yield pending
                pending, pending_chunks = [], 0
        if pending:
            yield pending

    def _pieces(self) -> Pieces | None:
        """The embedder's tokenizer, when it offers one (``pieces()``, loaded once), so
        chunks fit the model's window."""
        offer = getattr(self.embedder, "pieces", None)
        return offer() if callable(offer) else None

    def _write_documents(
        self,
        pending: _Pending,
        embedded: Future[list[StoredPoint]],
        on_result: Callable[[AddResult], None] | None,
    ) -> Iterator[AddResult]:
        points = embedded.result()
        heads: list[StoredPoint] = []
        bodies: list[StoredPoint] = []
        for point in points:
            (heads if point.payload["position"] == 0 else bodies).append(point)
        with self._write_lock:
            # Bodies first, stale chunks next, heads (with the content hash) last: a crash
            # anywhere leaves each document without its new hash, so a rerun redoes it.
            for start in range(0, len(bodies), WRITE_BATCH):
                self.store.upsert(bodies[start : start + WRITE_BATCH])
            for doc, _, payloads, _ in pending:
                self.store.delete(filters=Filters(doc_id=doc.id, min_position=len(payloads)))
            for start in range(0, len(heads), WRITE_BATCH):
                self.store.upsert(heads[start : start + WRITE_BATCH])
        for doc, _, payloads, status in pending:
            result = AddResult(id=doc.id, status=status, chunks=len(payloads))
            if on_result:
                on_result(result)
            yield result

    def _points(
        self, payloads: list[dict[str, Any]], dense: list[list[float]] | None = None
    ) -> list[StoredPoint]:
        """Points for ``payloads``: their BM25 vectors, and their dense vectors, embedded
        unless given."""
        texts = [embedding_text(p) for p in payloads]
        vectors = dense if dense is not None else self.embedder.embed_documents(texts).tolist()
        return [
            StoredPoint(id=point_id(p["key"]), payload=p, dense=vector, sparse=bm25_document(text))
            for p, text, vector in zip(payloads, texts, vectors, strict=True)
        ]
