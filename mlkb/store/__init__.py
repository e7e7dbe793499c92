"""Vector store backends behind one contract."""

from __future__ import annotations

from mlkb.store.base import CollectionMeta, Filters, QueryPlan, SparseVec, Store, StoredPoint
from mlkb.store.factory import open_store

__all__ = [
    "CollectionMeta",
    "Filters",
    "QueryPlan",
    "SparseVec",
    "Store",
    "StoredPoint",
    "open_store",
]
