"""Sparse BM25 vectors, built client-side so both backends do hybrid search with no model."""

from __future__ import annotations

from functools import lru_cache

from mlkb.store.base import SparseVec


@lru_cache(maxsize=1)
def _bm25():  # type: ignore[no-untyped-def]
    from qdrant_edge import Bm25, Bm25Config

    # avg_len matches the chunk budget (about 200 words), not the default 256 tokens.
    return Bm25(Bm25Config(avg_len=120.0))


def bm25_document(text: str) -> SparseVec:
    """Term-frequency weights of a passage (IDF is applied by the collection)."""
    sv = _bm25().embed_document(text)
    return SparseVec(indices=list(sv.indices), values=list(sv.values))


def bm25_query(text: str) -> SparseVec:
    """Unit weights for each query term."""
    sv = _bm25().embed_query(text)
    return SparseVec(indices=list(sv.indices), values=list(sv.values))
