"""A store's vectors and its queries come from the same weights, int8 or fp32."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from mlkb.errors import ConfigError
from mlkb.store.base import Filters
from mlkb.transfer import export_store, import_store, reindex
from mlkb.weights import WEIGHTS
from tests.mlkb.helpers import make_document


class WeightedFake(FakeEmbedder):
    """The fake embedder with switchable weights: int8 flips the sign of the vectors, so
    a vector from the wrong weights is plainly wrong."""

    def __init__(self, int8: bool) -> None:
        super().__init__()
        self.configured = self.weights = "int8" if int8 else "fp32"

    def use_weights(self, weights: str | None) -> None:
        self.weights = weights or self.configured

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        sign = -1.0 if self.weights == "int8" else 1.0
        return sign * super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        sign = -1.0 if self.weights == "int8" else 1.0
        return [sign * x for x in super().embed_query(text)]


def _settings(home: Path) -> Settings:
    return Settings(home=home, embed_model="fake", seed_on_first_use=False)


def test_a_store_keeps_its_weights_and_reindex_changes_them(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with KnowledgeBase(settings, embedder=WeightedFake(int8=False)) as kb:
        list(kb.add_documents([make_document()]))
        assert kb.stats()["weights"] == "fp32"
    embedder = WeightedFake(int8=True)  # configured int8, opening an fp32 store
    with KnowledgeBase(settings, embedder=embedder, prepare_query=True) as kb:
        assert embedder.weights == "fp32"
        stored = next(kb._scroll_all(Filters(), vectors=True))
        assert stored.dense is not None
        query = embedder.embed_query(_text(stored.payload))
        assert float(np.dot(stored.dense, query)) > 0.99  # int8 weights would give -1
        reindex(kb)
        stored = next(kb._scroll_all(Filters(), vectors=True))
        assert stored.dense is not None
        assert float(np.dot(stored.dense, embedder.embed_query(_text(stored.payload)))) > 0.99
        assert embedder.weights == "int8"
        meta = kb.store.meta()
        assert meta is not None and meta.extra[WEIGHTS] == "int8"
        assert kb.stats()["weights"] == "int8"
    assert json.loads((settings.store_path / "mlkb-collection.json").read_text())["extra"] == {
        WEIGHTS: "int8"
    }


def _text(payload: dict[str, object]) -> str:
    from mlkb.records import embedding_text

    return embedding_text(payload)


def test_import_reuses_vectors_only_from_the_same_weights(tmp_path: Path) -> None:
    with KnowledgeBase(_settings(tmp_path / "a"), embedder=WeightedFake(int8=True)) as kb:
        list(kb.add_documents([make_document()]))
        with (tmp_path / "all.jsonl").open("w") as out:
            export_store(kb, out, vectors=True)
    header = json.loads((tmp_path / "all.jsonl").read_text().splitlines()[0])
    assert header[WEIGHTS] == "int8"
    with KnowledgeBase(_settings(tmp_path / "b"), embedder=WeightedFake(int8=True)) as kb:
        assert not import_store(kb, tmp_path / "all.jsonl").reembedded
    fp32 = WeightedFake(int8=False)
    with KnowledgeBase(_settings(tmp_path / "c"), embedder=fp32) as kb:
        assert import_store(kb, tmp_path / "all.jsonl").reembedded
        stored = next(kb._scroll_all(Filters(), vectors=True))
        assert stored.dense is not None
        want = fp32.embed_documents([_text(stored.payload)])[0]
        assert float(np.dot(stored.dense, want)) > 0.99


def test_torch_refuses_an_int8_store(tmp_path: Path) -> None:
    """torch runs fp32 only: an int8 store's documents cannot be embedded with it, and
    the error says what to do, before any model loads."""
    from mlkb.embed.model import ModelEmbedder
    from mlkb.settings import DEFAULT_MODEL

    embedder = ModelEmbedder(DEFAULT_MODEL, tmp_path / "models", onnx_documents=False, int8=True)
    assert embedder.weights == "fp32"  # new stores: fp32, as torch embeds documents
    embedder.use_weights("int8")
    with pytest.raises(ConfigError, match="MLKB_ONNX_DOCUMENTS"):
        embedder.embed_documents(["a text"])
    assert not (tmp_path / "models").exists()


@pytest.mark.slow
def test_int8_sessions_agree_and_stay_near_fp32(real_embedder, real_model_cache: Path) -> None:  # type: ignore[no-untyped-def]
    """The int8 copy of the export: its light query session, optimized session and
    document batches give a text the same vector (cosine >= 0.999), near fp32's, whatever
    texts are embedded beside it."""
    from mlkb.embed.model import ModelEmbedder, model_cache_dir
    from mlkb.embed.onnx import OnnxEncoder
    from mlkb.embed.quantize import int8_folder
    from mlkb.settings import DEFAULT_MODEL

    texts = ["drift detection for pricing", "x", "calibrate the classifier " * 20]
    batch = real_embedder.embed_documents(texts)
    folder = int8_folder(model_cache_dir(real_model_cache, DEFAULT_MODEL))
    assert json.loads((folder / "mlkb-onnx.json").read_text())["weights"] == "int8"
    light, optimized = OnnxEncoder(folder, light=True), OnnxEncoder(folder, threads=2)
    for encoder in (light, optimized):
        got = np.stack([encoder.encode([text])[0] for text in texts])  # one query each
        assert float((got * batch).sum(1).min()) >= 0.999
    fp32 = ModelEmbedder(DEFAULT_MODEL, real_model_cache).embed_documents(texts)
    near = (fp32 * batch).sum(1)
    assert float(near.min()) >= 0.95 and float(near.max()) < 0.9999  # really other weights


def test_a_documents_vector_does_not_depend_on_the_documents_beside_it(real_embedder) -> None:  # type: ignore[no-untyped-def]
    """int8 activations are scaled per onnxruntime run, padding included: a short text
    run beside a long one would drift from its vector alone (cosine 0.97 for one word)."""
    texts = ["x", "drift detection for pricing", "calibrate the classifier " * 20]
    together = real_embedder.embed_documents(texts)
    for row, text in zip(together, texts, strict=True):
        alone = real_embedder.embed_documents([text])[0]
        assert float(row @ alone) >= 0.9999, text
        assert float(row @ np.asarray(real_embedder.embed_query(text))) >= 0.999, text


@pytest.mark.slow
def test_an_fp32_store_is_searched_with_fp32_weights(
    tmp_path: Path, real_model_cache: Path
) -> None:
    """A store built before int8 (or with MLKB_EMBED_INT8=false) records fp32; a process
    configured for int8 embeds its queries with fp32 weights, as its documents were."""
    from mlkb.embed.model import ModelEmbedder
    from mlkb.settings import DEFAULT_MODEL

    settings = Settings(home=tmp_path, model_cache=real_model_cache, seed_on_first_use=False)
    doc = make_document()
    with KnowledgeBase(settings, embedder=ModelEmbedder(DEFAULT_MODEL, real_model_cache)) as kb:
        list(kb.add_documents([doc]))
    assert settings.embed_int8
    with KnowledgeBase(settings, prepare_query=True) as kb:
        assert getattr(kb.embedder, "weights", None) == "fp32"
        stored = next(kb._scroll_all(Filters(doc_id=doc.id), vectors=True))
        assert stored.dense is not None
        query = np.asarray(kb.embedder.embed_query(_text(stored.payload)))
        assert float(query @ np.asarray(stored.dense)) >= 0.999
        assert kb.stats()["weights"] == "fp32"


@pytest.mark.slow
def test_quantizing_leaves_logging_as_it_was(
    tmp_path: Path, real_embedder, real_model_cache: Path
) -> None:  # type: ignore[no-untyped-def]
    """onnxruntime's quantizer logs through the root logger, which configures itself to
    print every later record (a first `mlkb search` printed its log lines twice)."""
    import subprocess
    import sys

    from mlkb.embed.model import model_cache_dir
    from mlkb.settings import DEFAULT_MODEL

    real_embedder.embed_query("x")  # the fp32 export exists
    source = model_cache_dir(real_model_cache, DEFAULT_MODEL)
    code = (
        "import logging, sys; from pathlib import Path; "
        "from mlkb.embed.quantize import quantize_export; "
        "quantize_export(Path(sys.argv[1]), Path(sys.argv[2])); "
        "print(len(logging.getLogger().handlers))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(source), str(tmp_path / "int8")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert done.stdout.strip() == "0", done.stdout
    assert "WARNING" not in done.stderr
    assert json.loads((tmp_path / "int8" / "mlkb-onnx.json").read_text())["weights"] == "int8"
