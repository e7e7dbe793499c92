"""The model on the query path: the ONNX export (fused, checked against
sentence-transformers, upgraded from older exports) and the query sessions (light first,
then optimized; loaded while the store opens; shared by threads). Real model, slow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlkb import KnowledgeBase, SearchRequest
from tests.stores import copy_store

pytestmark = pytest.mark.slow


def test_onnx_paths_equal_sentence_transformers(real_embedder, real_model_cache) -> None:  # type: ignore[no-untyped-def]
    """Queries (the light first-query session and the optimized one) and document batches
    (sorted by length, padded per batch, put back in order) through onnxruntime equal
    sentence-transformers on torch."""
    from mlkb.embed.model import ModelEmbedder, model_cache_dir
    from mlkb.embed.onnx import OnnxEncoder
    from mlkb.settings import DEFAULT_MODEL

    torch_path = ModelEmbedder(
        DEFAULT_MODEL, real_model_cache, onnx_query=False, onnx_documents=False
    )
    onnx_path = ModelEmbedder(DEFAULT_MODEL, real_model_cache)  # fp32, as torch
    texts = [
        "A much longer query " * 30,  # past the 256-token window: truncated alike
        "drift detection for pricing",
        "x",
        "How do I shard a 70B model across 8 GPUs with FSDP?",
    ] + [f"recipe {i}: " + "calibrate the classifier " * (i % 7) for i in range(40)]
    want = torch_path.embed_documents(texts)
    batch = onnx_path.embed_documents(texts)
    assert batch.shape == want.shape
    cosines = (batch * want).sum(1) / (np.linalg.norm(batch, axis=1) * np.linalg.norm(want, axis=1))
    assert float(cosines.min()) >= 0.999, cosines.round(4).tolist()
    export = model_cache_dir(real_model_cache, DEFAULT_MODEL)
    assert (export / "model.data").is_file()  # weights beside the graph, memory-mapped
    assert json.loads((export / "mlkb-onnx.json").read_text())["fused"] is True
    light, optimized = OnnxEncoder(export, light=True), OnnxEncoder(export)
    for text, row in zip(texts[:4], want[:4], strict=True):
        for got in (
            np.asarray(onnx_path.embed_query(text)),
            light.encode([text])[0],
            optimized.encode([text])[0],
        ):
            assert float(got @ row / (np.linalg.norm(got) * np.linalg.norm(row))) >= 0.999, text
        torch_query = np.asarray(torch_path.embed_query(text))
        assert float(torch_query @ row) >= 0.999, text


def test_the_export_runs_onnxruntime_fused_operators(
    real_embedder, real_model_cache, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The kept graph is the fused one: attention and GELU as single operators, in a
    fraction of the traced graph's nodes; layer norms stay apart from their residual adds,
    in the graph and in the sessions that run it (the fused kernel is the slower)."""
    import collections

    import onnx

    from mlkb.embed.model import model_cache_dir
    from mlkb.settings import DEFAULT_MODEL

    real_embedder.embed_query("feature store")  # makes the export
    export = model_cache_dir(real_model_cache, DEFAULT_MODEL)
    graph = onnx.load(str(export / "model.onnx"), load_external_data=False).graph
    ops = collections.Counter(node.op_type for node in graph.node)
    assert ops["Attention"] == 6 and ops["FastGelu"] == 6, ops
    assert ops["LayerNormalization"] == 12 and ops["SkipLayerNormalization"] == 0, ops
    assert ops["Softmax"] == 0 and len(graph.node) < 150, ops
    onnx.checker.check_model(str(export / "model.onnx"))  # a valid model for other tools too

    import onnxruntime as ort

    from mlkb.embed.onnx import session

    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "as-run.onnx")
    session(export / "model.onnx", options)
    as_run = onnx.load(str(tmp_path / "as-run.onnx"), load_external_data=False).graph
    assert not any(node.op_type == "SkipLayerNormalization" for node in as_run.node)


def _off_by_noise(graph: Any) -> None:
    """Noise on the largest weight (the word-piece table): vectors unlike the model's."""
    from onnx import numpy_helper

    table = max(graph.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    noise = np.random.default_rng(0).normal(0, 0.5, size=tuple(table.dims))
    noisy = numpy_helper.to_array(table) + noise.astype(np.float32)
    table.CopyFrom(numpy_helper.from_array(noisy, table.name))


def _unrunnable(graph: Any) -> None:
    """An operator onnxruntime does not know: the session fails to load."""
    graph.graph.node[0].op_type = "NoSuchOperator"


@pytest.mark.parametrize("spoil", [_off_by_noise, _unrunnable])
def test_a_fused_graph_that_fails_its_check_is_not_kept(
    tmp_path: Path, real_embedder, monkeypatch: pytest.MonkeyPatch, spoil
) -> None:  # type: ignore[no-untyped-def]
    """When the fused graph's vectors differ from the model's, or onnxruntime cannot run
    it, the export keeps the traced graph, which matches the model; nothing else is left
    in the folder and the model's attention is put back as it was."""
    import onnx

    from mlkb.embed import export as onnx_export

    fuse = onnx_export._fused_graph

    def spoiled(path: Path, config: object) -> object:
        graph = fuse(path, config)
        spoil(graph)
        return graph

    monkeypatch.setattr(onnx_export, "_fused_graph", spoiled)
    st = real_embedder._sentence_transformer()
    attention = st[0].auto_model.config._attn_implementation
    folder = tmp_path / "export"
    onnx_export.export_onnx(st, folder)

    assert st[0].auto_model.config._attn_implementation == attention
    assert json.loads((folder / "mlkb-onnx.json").read_text())["fused"] is False
    graph = onnx.load(str(folder / "model.onnx"), load_external_data=False).graph
    assert not any(node.op_type == "Attention" for node in graph.node)
    assert sorted(p.name for p in folder.iterdir()) == [
        "mlkb-onnx.json",
        "model.data",
        "model.onnx",
        "tokenizer.json",
    ]
    assert (folder / "model.data").stat().st_size < 100_000_000  # one graph's weights
    texts = ["A much longer text " * 60, "feature store", "drift detection for pricing"]
    want = st.encode(texts, normalize_embeddings=True)
    got = onnx_export.OnnxEncoder(folder).encode(texts)
    assert float((want * got).sum(1).min()) >= 0.999


def test_first_query_runs_light_and_the_next_optimized(real_model_cache) -> None:  # type: ignore[no-untyped-def]
    from mlkb.embed.model import ModelEmbedder
    from mlkb.settings import DEFAULT_MODEL

    embedder = ModelEmbedder(DEFAULT_MODEL, real_model_cache)
    first = np.asarray(embedder.embed_query("feature store"))
    assert embedder._query_encoder().light
    second = np.asarray(embedder.embed_query("feature store"))
    assert not embedder._query_encoder().light
    assert float(first @ second) >= 0.999


def test_a_search_loads_its_query_session_while_the_store_opens(
    isolated_home: Path, real_seeded_store: Path, real_embedder, real_model_cache: Path
) -> None:  # type: ignore[no-untyped-def]
    """``prepare_query`` builds the light query session on a thread from an existing
    export; the search then uses it and ranks as usual. With no export yet, nothing starts
    in the background (making one takes torch and stays in the caller's thread)."""
    from mlkb.embed.model import ModelEmbedder
    from mlkb.settings import DEFAULT_MODEL, Settings

    settings = Settings(model_cache=real_model_cache)
    copy_store(real_seeded_store, settings.store_path)
    with KnowledgeBase(settings, prepare_query=True) as kb:
        embedder = kb.embedder
        assert isinstance(embedder, ModelEmbedder) and embedder._preparing is not None
        embedder._preparing.join(timeout=60)
        assert embedder._onnx is not None and embedder._onnx.light
        hits = kb.search(SearchRequest(query="drift detection for pricing", k=3)).hits
        vector = np.asarray(embedder.embed_query("feature store"))
    assert hits[0].id == "drift-psi-pricing", [h.id for h in hits]
    assert float(vector @ np.asarray(real_embedder.embed_query("feature store"))) >= 0.999

    unexported = ModelEmbedder(DEFAULT_MODEL, isolated_home / "no-models")
    unexported.prepare_query()
    assert unexported._preparing is None and not (isolated_home / "no-models").exists()


def test_an_older_export_is_upgraded_without_torch(
    tmp_path: Path, real_embedder, real_model_cache
) -> None:  # type: ignore[no-untyped-def]
    """An export with its weights inside model.onnx (the first layout) moves them to
    model.data in place, in a process that never imports torch, with the same vectors."""
    import shutil

    import onnx

    from mlkb.embed.model import model_cache_dir
    from mlkb.embed.onnx import OnnxEncoder
    from mlkb.settings import DEFAULT_MODEL

    real_embedder.embed_query("feature store")  # makes the export
    current = model_cache_dir(real_model_cache, DEFAULT_MODEL)
    want = OnnxEncoder(current).encode(["feature store"])[0]  # fp32, as the old export
    old = model_cache_dir(tmp_path / "models", DEFAULT_MODEL)
    old.mkdir(parents=True)
    onnx.save_model(onnx.load(str(current / "model.onnx")), str(old / "model.onnx"))
    shutil.copy2(current / "tokenizer.json", old / "tokenizer.json")
    meta = json.loads((current / "mlkb-onnx.json").read_text())
    del meta["format"]
    (old / "mlkb-onnx.json").write_text(json.dumps(meta))
    assert not (old / "model.data").exists()

    code = (
        "import sys, json; from pathlib import Path; from mlkb.embed.model import ModelEmbedder; "
        f"e = ModelEmbedder({DEFAULT_MODEL!r}, Path({str(tmp_path / 'models')!r})); "
        "v = e.embed_query('feature store'); "
        "print(json.dumps({'v': v, 'torch': 'torch' in sys.modules}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    data = json.loads(out.stdout)
    assert data["torch"] is False
    assert (old / "model.data").is_file()
    assert json.loads((old / "mlkb-onnx.json").read_text())["format"] == 2
    assert float(np.asarray(data["v"]) @ want) >= 0.999


def test_query_sessions_under_concurrent_queries(real_model_cache) -> None:  # type: ignore[no-untyped-def]
    """Server threads asking at once: every answer is the same vector, and the embedder
    ends on the optimized session."""
    from concurrent.futures import ThreadPoolExecutor

    from mlkb.embed.model import ModelEmbedder
    from mlkb.settings import DEFAULT_MODEL

    embedder = ModelEmbedder(DEFAULT_MODEL, real_model_cache)
    with ThreadPoolExecutor(8) as pool:
        vectors = list(pool.map(lambda _: embedder.embed_query("data leakage"), range(24)))
    first = np.asarray(vectors[0])
    assert min(float(np.asarray(v) @ first) for v in vectors) >= 0.999
    assert not embedder._query_encoder().light
