"""Tune hybrid fusion on the BEIR SciFact *train* split, offline.

Dense and BM25 candidate lists (top 200 chunks each) are fetched once per query from a
store built by `mlkb eval --beir DIR --store STORE`; fusion variants are then scored in
memory: weighted RRF (what the store runs) over a grid of weights and k.

    python -m bench.tune_fusion --beir ../shared/data/beir-scifact --store /tmp/scifact-store
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from mlkb.embed.sparse import bm25_query
from mlkb.evaluate import load_beir, score_query
from mlkb.kb import KnowledgeBase
from mlkb.settings import Settings
from mlkb.store.base import QueryPlan

DEPTH = 200


Ranked = list[tuple[str, str, float]]  # (chunk key, item id, score), best first


def candidates(kb: KnowledgeBase, text: str) -> tuple[Ranked, Ranked]:
    dense = kb.store.query(
        QueryPlan(dense=kb.embedder.embed_query(text), sparse=None, limit=DEPTH, prefetch=DEPTH)
    )
    sparse = kb.store.query(
        QueryPlan(dense=None, sparse=bm25_query(text), limit=DEPTH, prefetch=DEPTH)
    )

    def ranked(points):  # type: ignore[no-untyped-def]
        return [(str(p.payload["key"]), str(p.payload["item_id"]), p.score) for p in points]

    return ranked(dense), ranked(sparse)


def rrf(lists: list[Ranked], weights: list[float], k: int) -> list[str]:
    """Weighted RRF over chunks (0-based ranks, as Qdrant), then the best chunk per item."""
    scores: dict[tuple[str, str], float] = {}
    for ranked, w in zip(lists, weights, strict=True):
        for rank, (key, item, _) in enumerate(ranked):
            scores[key, item] = scores.get((key, item), 0.0) + w / (k + rank)
    return list(dict.fromkeys(item for _, item in sorted(scores, key=lambda c: -scores[c])))


def dbsf(lists: list[Ranked], weights: list[float]) -> list[str]:
    """Distribution-based score fusion: each list's scores scaled by mean +- 3 std."""
    scores: dict[tuple[str, str], float] = {}
    for ranked, w in zip(lists, weights, strict=True):
        if not ranked:
            continue
        values = [s for _, _, s in ranked]
        mean = sum(values) / len(values)
        std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
        lo, hi = mean - 3 * std, mean + 3 * std
        for key, item, score in ranked:
            scores[key, item] = scores.get((key, item), 0.0) + w * (score - lo) / (hi - lo)
    return list(dict.fromkeys(item for _, item in sorted(scores, key=lambda c: -scores[c])))


def dedup(ranked: Ranked) -> list[str]:
    return list(dict.fromkeys(item for _, item, _ in ranked))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--store", type=Path, required=True, help="MLKB_HOME of the built store")
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    _, queries, qrels = load_beir(args.beir, args.split)
    settings = Settings(
        home=args.store, collection=f"beir-{args.beir.name}", seed_on_first_use=False
    )
    with KnowledgeBase(settings) as kb:
        lists = {qid: candidates(kb, text) for qid, text in queries.items()}

    def ndcg(ranker) -> float:  # type: ignore[no-untyped-def]
        return sum(score_query(ranker(*lists[q]), qrels[q])[0] for q in lists) / len(lists)

    print(f"{args.split}: {len(lists)} queries")
    print(f"dense  {ndcg(lambda d, s: dedup(d)):.4f}")
    print(f"sparse {ndcg(lambda d, s: dedup(s)):.4f}")
    results = []
    for wd, ws, k in itertools.product([0.6, 0.8, 1.0], [1.0, 1.2, 1.5, 2.0], [2, 10, 30, 60]):
        score = ndcg(lambda d, s, wd=wd, ws=ws, k=k: rrf([d, s], [wd, ws], k))
        results.append((score, wd, ws, k))
    for score, wd, ws, k in sorted(results, reverse=True)[:5]:
        print(f"rrf dense={wd} sparse={ws} k={k}: {score:.4f}")
    for wd, ws in itertools.product([0.5, 0.8, 1.0, 1.2, 1.5], [1.0]):
        score = ndcg(lambda d, s, wd=wd, ws=ws: dbsf([d, s], [wd, ws]))
        print(f"dbsf dense={wd} sparse={ws}: {score:.4f}")


if __name__ == "__main__":
    main()
