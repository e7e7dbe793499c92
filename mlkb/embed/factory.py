"""Pick the dense embedder named by the settings; heavy backends load lazily."""

from __future__ import annotations

from mlkb.embed.base import DenseEmbedder
from mlkb.settings import Settings


def make_embedder(settings: Settings) -> DenseEmbedder:
    """``fake`` (or ``fake:<dim>``) gives the test embedder; any other name a real model."""
    name = settings.embed_model
    if name == "fake" or name.startswith("fake:"):
        from mlkb.embed.fake import FakeEmbedder

        return FakeEmbedder(int(name.split(":", 1)[1]) if ":" in name else 64)
    from mlkb.embed.model import ModelEmbedder

    return ModelEmbedder(
        name,
        settings.model_cache_dir,
        batch_size=settings.embed_batch_size,
        onnx_query=settings.onnx_query,
        onnx_documents=settings.onnx_documents,
        int8=settings.embed_int8,
    )
