"""Embedders: dense (sentence-transformers, ONNX query path, fake) and sparse BM25."""

from __future__ import annotations

from mlkb.embed.base import DenseEmbedder
from mlkb.embed.factory import make_embedder

__all__ = ["DenseEmbedder", "make_embedder"]
