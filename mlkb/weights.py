"""Which weights a store's vectors come from, and an embedder kept on them.

A store records its embedder's weights (``int8`` or ``fp32``) next to its model. Queries
must be embedded with the weights the documents were (an int8 query against fp32
documents scores about 0.99 cosine for the very same text), so an embedder that has
weights to choose from (``ModelEmbedder``: ``weights``, ``use_weights``) follows the
store's record; other embedders have none, and their stores record none."""

from __future__ import annotations

from mlkb.embed.base import DenseEmbedder
from mlkb.store.base import CollectionMeta

WEIGHTS = "weights"
"""The key of ``CollectionMeta.extra`` under which a store records its weights."""


def store_weights(meta: CollectionMeta) -> str:
    """The weights a store's vectors come from; stores made before int8 record none: fp32."""
    return str(meta.extra.get(WEIGHTS, "fp32"))


def follow_store(embedder: DenseEmbedder, meta: CollectionMeta | None) -> None:
    """Have ``embedder`` embed with the store's weights (None: its configured ones)."""
    use = getattr(embedder, "use_weights", None)
    if callable(use):
        use(None if meta is None else store_weights(meta))


def new_collection_meta(embedder: DenseEmbedder) -> CollectionMeta:
    """The record of a collection about to be (re)built with ``embedder``'s configured
    model and weights; the embedder switches to those weights."""
    follow_store(embedder, None)
    meta = CollectionMeta(model=embedder.name, dim=embedder.dim)
    weights = getattr(embedder, "weights", None)
    if weights is not None:
        meta.extra[WEIGHTS] = weights
    return meta
