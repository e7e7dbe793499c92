"""The shipped corpus: counts per area, completeness, distinct problems, eval labels."""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

import numpy as np
import pytest

from mlkb.evaluate import load_seed_queries
from mlkb.schema import Area, Recipe
from mlkb.seeds import load_recipes, seeds_dir

REPORT = load_recipes([seeds_dir() / "recipes"])
RECIPES = REPORT.recipes
BY_ID = {r.id: r for r in RECIPES}


def test_every_file_is_valid() -> None:
    assert REPORT.errors == []


def test_counts() -> None:
    assert len(RECIPES) >= 200
    per_area = Counter(r.area for r in RECIPES)
    assert {a: per_area[a] for a in Area if per_area[a] < 12} == {}


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.id for r in RECIPES])
def test_recipe_is_complete(recipe: Recipe) -> None:
    path = REPORT.files[RECIPES.index(recipe)]
    assert path.stem == recipe.id and path.parent.name == recipe.area.value
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", recipe.problem.strip()) if s]
    assert 2 <= len(sentences) <= 6, "a problem of 2-5 sentences"
    assert recipe.symptoms and recipe.pitfalls and recipe.tools and recipe.tags
    assert len(recipe.hyperparameters) >= 3 and len(recipe.metrics) >= 2
    assert re.search(r"^\s*1\.", recipe.solution, re.M), "a step-by-step solution"
    assert recipe.references and all(ref.url or ref.arxiv_id for ref in recipe.references)
    assert recipe.context.domain and recipe.context.modality


def test_topics_the_corpus_must_cover() -> None:
    must = [
        "drift-psi-pricing",
        "features-feast-redis-online-s3-offline",
        "leakage-fit-transform-before-split",
        "bert-int8-dynamic-quantization",
        "loan-approval-model-bias-audit",
        "fraud-detection-pipeline-end-to-end",
        "ddp-multi-gpu-training",
        "fsdp-sharded-large-model-training",
        "horovod-distributed-training",
        "qlora-finetune-single-gpu",
        "vllm-continuous-batching-paged-attention",
        "rag-chunking-strategy-technical-docs",
    ]
    assert [m for m in must if m not in BY_ID] == []


@pytest.mark.slow
def test_no_two_problems_are_near_duplicates(real_embedder) -> None:  # type: ignore[no-untyped-def]
    vectors = real_embedder.embed_documents([r.problem for r in RECIPES])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, 0)
    worst = float(sims.max())
    i, j = np.unravel_index(int(sims.argmax()), sims.shape)
    assert worst <= 0.95, (RECIPES[i].id, RECIPES[j].id, worst)


@pytest.mark.parametrize(("name", "least"), [("queries.yaml", 80), ("vague.yaml", 30)])
def test_eval_queries_point_at_real_recipes(name: str, least: int) -> None:
    queries, qrels = load_seed_queries(seeds_dir() / "eval" / name)
    assert len(queries) >= least
    unknown = {rid for judged in qrels.values() for rid in judged if rid not in BY_ID}
    assert unknown == set()
    assert all(2 in judged.values() for judged in qrels.values())
    texts = [q.lower() for q in queries.values()]
    assert len(set(texts)) == len(texts)
    titles = {r.title.lower() for r in RECIPES}
    assert not titles & set(texts), "queries must not copy titles"


def test_ids_are_unique_across_areas() -> None:
    ids = [r.id for r in RECIPES]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_problem_pairs_differ_in_words() -> None:
    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z]{4,}", text.lower()))

    for a, b in combinations(RECIPES, 2):
        wa, wb = words(a.problem), words(b.problem)
        assert len(wa & wb) / len(wa | wb) < 0.6, (a.id, b.id)
