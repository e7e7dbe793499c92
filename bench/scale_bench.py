"""Embedded store at scale: search p50/p99, recall@10 against exact search, memory, disk.

For each size (default 10k, 100k, 1M) a Qdrant Edge store is built with mlkb's own
collection settings (EdgeStore.create: HNSW m=16, ef_construct=128, cosine, float16
vectors) from synthetic 384-d vectors clustered around 2,000 topic centres (see
bench/_common.py), each point with a BM25 vector and a ~60-word payload. Queries are
perturbed stored vectors. The baseline is exact (brute-force) search on the same store in
the same run. A store already holding the requested number of points is reused as it is.

    python bench/scale_bench.py --sizes 10000 100000 1000000 --dir /tmp/mlkb-scale
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from bench._common import (
    clustered_vectors,
    disk_mib,
    machine,
    percentiles,
    rss_mib,
    synthetic_point,
    synthetic_text,
)
from mlkb.store.base import DENSE, CollectionMeta
from mlkb.store.edge import EdgeStore

DIM = 384


def build(folder: Path, n: int) -> dict[str, float]:
    store = EdgeStore(folder)
    if store.meta() is not None and store.count() == n:
        store.close()
        return {"build_s": 0.0, "optimize_s": 0.0, "reused": 1}
    store.create(CollectionMeta(model="synthetic", dim=DIM))
    rng = np.random.default_rng(7)
    started = time.perf_counter()
    i = 0
    for block in clustered_vectors(n, DIM, seed=1):
        points = []
        for vec in block:
            points.append(synthetic_point(f"doc:{i}", vec, synthetic_text(rng), "paper"))
            i += 1
        for s in range(0, len(points), 1000):
            store.upsert(points[s : s + 1000])
    built = time.perf_counter() - started
    started = time.perf_counter()
    store.optimize()
    optimized = time.perf_counter() - started
    store.close()
    return {"build_s": built, "optimize_s": optimized, "reused": 0}


def measure(folder: Path, n: int, queries: int, ef: int | None) -> dict[str, float]:
    started = time.perf_counter()
    store = EdgeStore(folder)
    open_s = time.perf_counter() - started
    shard = store.shard
    rng = np.random.default_rng(3)
    stored = next(clustered_vectors(min(n, 10_000), DIM, seed=1))
    qv = stored[rng.integers(0, len(stored), queries)] + 0.02 * rng.standard_normal((queries, DIM))
    qv = (qv / np.linalg.norm(qv, axis=1, keepdims=True)).astype(np.float32)
    approx_ms, exact_ms, recalls = [], [], []
    params = qe.SearchParams(hnsw_ef=ef) if ef else None
    for q in qv:
        request = qe.QueryRequest(
            limit=10,
            query=qe.Query.Nearest(q.tolist(), using=DENSE),
            params=params,
            with_payload=True,
        )
        t = time.perf_counter()
        got = shard.query(request)
        approx_ms.append((time.perf_counter() - t) * 1000)
        exact_req = qe.QueryRequest(
            limit=10,
            query=qe.Query.Nearest(q.tolist(), using=DENSE),
            params=qe.SearchParams(exact=True),
            with_payload=True,
        )
        t = time.perf_counter()
        truth = shard.query(exact_req)
        exact_ms.append((time.perf_counter() - t) * 1000)
        recalls.append(len({p.id for p in got} & {p.id for p in truth}) / 10)
    store.close()
    a, e = percentiles(approx_ms), percentiles(exact_ms)
    return {
        "open_s": open_s,
        "p50_ms": a["p50"],
        "p99_ms": a["p99"],
        "exact_p50_ms": e["p50"],
        "exact_p99_ms": e["p99"],
        "recall@10": float(np.mean(recalls)),
        "speedup_vs_exact_p50": e["p50"] / a["p50"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/mlkb-scale"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", type=int, default=None, help="HNSW ef at query time")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rows = []
    for n in args.sizes:
        folder = args.dir / f"n{n}"
        row: dict[str, float] = {"points": n}
        row |= build(folder, n)
        row |= measure(folder, n, args.queries, args.ef)
        row["disk_mib"] = disk_mib(folder)
        row["peak_rss_mib"] = rss_mib()
        rows.append(row)
        print(
            json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}),
            flush=True,
        )
    print(
        "\n| points | p50 ms | p99 ms | exact p50 ms (baseline) | speed-up | recall@10 | "
        "build s | optimize s | open s | disk MiB | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['points']:,} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {r['exact_p50_ms']:.2f} | {r['speedup_vs_exact_p50']:.1f}x "
            f"| {r['recall@10']:.3f} | {r['build_s']:.0f} | {r['optimize_s']:.0f} "
            f"| {r['open_s']:.2f} | {r['disk_mib']:.0f} | {r['peak_rss_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
