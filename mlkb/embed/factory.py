"""Pick the dense embedder named by the settings; heavy backends load lazily."""

from __future__ import annotations

from mlkb.embed.base import DenseEmbedder
from mlkb.settings import Settings


def make_embedder(settings: Settings) -> DenseEmbedder:
    """``fake`` (or ``fake:<dim>``) gives the test embedder; any other name a real model."""
    name = settings.embed_model
    if name == "fake" or name.startswith("fake:"):
        from mlkb.embed.fake import FakeEmbedder
        from mlkb.errors import ConfigError

        dim = name.split(":", 1)[1] if ":" in name else "64"
        if not dim.isdigit() or not 1 <= int(dim) <= 4096:
            raise ConfigError(f"MLKB_EMBED_MODEL {name!r}: fake:<dim> takes a dimension, 1-4096")
        return FakeEmbedder(int(dim))
    from mlkb.embed.model import ModelEmbedder

    return ModelEmbedder(
        name,
        settings.model_cache_dir,
        batch_size=settings.embed_batch_size,
        onnx_query=settings.onnx_query,
        onnx_documents=settings.onnx_documents,
        int8=settings.embed_int8,
    )
