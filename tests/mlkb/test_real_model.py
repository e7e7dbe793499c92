"""The real model (packaged all-MiniLM-L6-v2) on the real embedded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlkb import KnowledgeBase, SearchRequest
from mlkb.schema import Kind
from tests.mlkb.helpers import walk_pages

pytestmark = pytest.mark.slow

# Queries a practitioner would type, and the recipe that must rank in the top 3.
QUALITY = [
    ("drift detection for pricing", "drift-psi-pricing"),
    ("make bert faster on cpu with int8", "bert-int8-dynamic-quantization"),
    ("feature store with redis online and s3 offline", "features-feast-redis-online-s3-offline"),
    (
        "scaler fitted on the whole dataset before the train test split",
        "leakage-fit-transform-before-split",
    ),
    ("fine tune a 7B llm on one gpu with 4-bit adapters", "qlora-finetune-single-gpu"),
    ("loss becomes nan after a few steps", "nan-loss-debugging"),
    ("bias audit of a loan approval model", "loan-approval-model-bias-audit"),
    ("roll back a bad model version from the registry", "model-registry-stages-rollback"),
]


@pytest.mark.parametrize(("query", "expected"), QUALITY)
def test_expected_recipe_in_top_3(real_kb: KnowledgeBase, query: str, expected: str) -> None:
    hits = real_kb.search(SearchRequest(query=query, k=3)).hits
    assert expected in [h.id for h in hits], [h.id for h in hits]


def test_hybrid_documents_next_to_recipes(real_kb: KnowledgeBase) -> None:
    from mlkb.schema import Document

    real_kb.add_document(
        Document(
            id="arxiv:1810.11953",
            kind=Kind.paper,
            source="arxiv",
            title="Failing Loudly: An Empirical Study of Methods for Detecting Dataset Shift",
            text="We study two-sample tests on representations for detecting dataset shift, "
            "finding that BBSD with a pretrained classifier and univariate KS tests works best.",
        )
    )
    hits = real_kb.search(SearchRequest(query="detecting dataset shift two-sample tests", k=5)).hits
    assert "arxiv:1810.11953" in [h.id for h in hits]
    papers = real_kb.search(SearchRequest(query="dataset shift", kind=[Kind.paper])).hits
    assert [h.id for h in papers] == ["arxiv:1810.11953"]


def test_deep_pages_are_slices_of_one_ranking(real_kb: KnowledgeBase) -> None:
    """Following ``next_offset`` past offset 50 repeats no hit: pages of 10 and of 100
    cut the same ranking, and a deep page is the same slice of it."""
    request = SearchRequest(query="model monitoring", k=10)
    small = walk_pages(real_kb, request)
    assert len(small) == len(set(small)) > 120
    assert small == walk_pages(real_kb, request.model_copy(update={"k": 100}))
    deep = real_kb.search(request.model_copy(update={"offset": 45, "k": 20}))
    assert [h.id for h in deep.hits] == small[45:65]


def test_a_removed_curated_recipe_is_not_searched_until_restored(real_kb: KnowledgeBase) -> None:
    from mlkb.seeding import sync_seeds

    query = SearchRequest(query="drift detection for pricing", k=3)
    assert real_kb.search(query).hits[0].id == "drift-psi-pricing"
    real_kb.delete("drift-psi-pricing")
    assert sync_seeds(real_kb).kept_out == 1
    assert "drift-psi-pricing" not in [h.id for h in real_kb.search(query).hits]
    assert sync_seeds(real_kb, restore=True).new == 1
    assert real_kb.search(query).hits[0].id == "drift-psi-pricing"


def test_document_chunks_fit_the_model_window(real_kb: KnowledgeBase, real_embedder) -> None:  # type: ignore[no-untyped-def]
    """Technical text runs to about two word pieces a word, past what words alone bound:
    every chunk, with its title and section, still fits the 256-piece window, so the
    model sees all of it, and the last sentence is found."""
    from mlkb.chunking import chunk_markdown
    from mlkb.records import embedding_text
    from mlkb.schema import Document
    from mlkb.store.base import Filters

    sentences = [
        f"Immunohistochemical staining {i} showed hyperphosphorylated tau in "
        "oligodendrocytes and astrocytes of transgenic mice."
        for i in range(30)
    ]
    sentences.append("Finally, zebrafish regenerate cardiomyocytes after cryoinjury.")
    doc = Document(
        id="doc:tau-staining",
        kind=Kind.paper,
        source="local",
        title="Tau pathology in glial cells of transgenic mouse models",
        text="## Results\n\n" + " ".join(sentences),
    )
    tokenizer = real_embedder.pieces()._tokenizer

    def n_pieces(text: str) -> int:
        return len(tokenizer.encode(text).ids)  # with [CLS] and [SEP]

    by_words = chunk_markdown(doc.id, doc.text)
    assert max(n_pieces(c.text) for c in by_words) > 256  # words alone would overflow

    real_kb.add_document(doc)
    stored = list(real_kb._scroll_all(Filters(doc_id=doc.id)))
    assert len(stored) > len(by_words)
    assert max(n_pieces(embedding_text(p.payload)) for p in stored) <= 256
    hits = real_kb.search(SearchRequest(query="zebrafish heart regeneration cryoinjury", k=3))
    assert hits.hits[0].id == doc.id


def test_ctrl_c_while_the_model_is_prepared_keeps_nothing(tmp_path: Path) -> None:
    """Ctrl-C during the first-use export: one line saying so, exit 130, no export left."""
    import signal

    env = {**os.environ, "MLKB_HOME": str(tmp_path / "home")}
    env.pop("MLKB_EMBED_MODEL", None)
    env.pop("MLKB_MODEL_CACHE", None)
    with subprocess.Popen(
        [sys.executable, "-c", "from mlkb.cli import main; main()", "search", "drift"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as child:
        assert child.stderr is not None
        first = child.stderr.readline()
        assert first.startswith("preparing the embedding model"), first
        time.sleep(1.0)
        child.send_signal(signal.SIGINT)
        err = child.stderr.read()
        assert child.wait(timeout=60) == 130, err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith("error: interrupted while preparing the embedding model")
    ), err
    models = tmp_path / "home" / "models"
    assert not any(models.rglob("*.onnx")) if models.exists() else True


def test_readme_quick_start_in_a_new_process(tmp_path: Path, real_model_cache: Path) -> None:
    """`mlkb search` from a new process: seeds on first use, prints ranked recipes."""
    env = {
        **os.environ,
        "MLKB_HOME": str(tmp_path / "home"),
        "MLKB_MODEL_CACHE": str(real_model_cache),
    }
    env.pop("MLKB_EMBED_MODEL", None)
    cmd = [sys.executable, "-c", "from mlkb.cli import main; main()"]
    first = subprocess.run(
        [*cmd, "search", "drift detection for pricing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    assert (
        "drift-psi-pricing" in first.out
        if hasattr(first, "out")
        else "drift-psi-pricing" in first.stdout
    )
    assert "recipe" in first.stdout and "monitoring" in first.stdout
    again = subprocess.run(
        [*cmd, "search", "drift detection for pricing", "--json", "-k", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads(again.stdout)
    assert data["hits"][0]["id"] == "drift-psi-pricing"
    assert "seeding" not in again.stderr


def test_help_does_not_import_torch() -> None:
    """Nor pydantic, numpy or the engine: `mlkb --help` answers in about 0.3 s."""
    heavy = ("torch", "sentence_transformers", "fastapi", "textual", "pydantic", "numpy")
    code = (
        "import sys; from mlkb.cli import app; from typer.testing import CliRunner; "
        "CliRunner().invoke(app, ['--help']); "
        f"print(sorted(m for m in {heavy!r} + ('qdrant_edge', 'onnxruntime') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
