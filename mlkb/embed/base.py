"""The dense embedder plug point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


@runtime_checkable
class DenseEmbedder(Protocol):
    """Turns texts into L2-normalized dense vectors.

    An embedder with a token window may also offer ``pieces() -> mlkb.chunking.Pieces``,
    its tokenizer; documents are then chunked to fit the window (``ModelEmbedder`` does).
    """

    @property
    def name(self) -> str:
        """The model's name as recorded in the collection."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed many passages (batch path)."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (latency path)."""
        ...

    def prepare_query(self) -> None:
        """Start loading what the first query needs, in the background (may do nothing)."""
        ...
