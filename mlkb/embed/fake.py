"""A deterministic hash embedder for fast tests: texts sharing words get similar vectors."""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence

import numpy as np

from mlkb.embed.base import Matrix

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Bag of hashed words, word pairs and stems projected to ``dim`` dimensions.

    crc32 keeps it the same in every process (``hash()`` is salted per process).
    """

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return "fake" if self._dim == 64 else f"fake:{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        words = _WORD.findall(text.lower())
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
        feats = words + pairs + [w[:5] for w in words if len(w) > 5]
        hashes = np.fromiter(
            (zlib.crc32(f.encode()) for f in feats), dtype=np.uint32, count=len(feats)
        )
        signs = np.where(hashes >> 31, 1.0, -1.0)
        vec = np.bincount(hashes % self._dim, weights=signs, minlength=self._dim)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0], norm = 1.0, 1.0
        out: np.ndarray = (vec / norm).astype(np.float32)
        return out

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([self._one(t) for t in texts])

    def prepare_query(self) -> None:
        """Nothing to load."""

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._one(text)]
