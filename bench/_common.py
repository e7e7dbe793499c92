"""Shared by the benchmarks: timing, percentiles, machine description, synthetic data."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mlkb.embed.sparse import bm25_document
from mlkb.records import point_id
from mlkb.store.base import StoredPoint

WORDS = [
    "model",
    "training",
    "data",
    "drift",
    "feature",
    "store",
    "latency",
    "batch",
    "gradient",
    "loss",
    "learning",
    "rate",
    "quantization",
    "pruning",
    "distillation",
    "serving",
    "inference",
    "gpu",
    "cpu",
    "memory",
    "throughput",
    "monitoring",
    "alert",
    "threshold",
    "label",
    "delay",
    "pipeline",
    "registry",
    "rollback",
    "canary",
    "shadow",
    "embedding",
    "retrieval",
    "chunk",
    "rerank",
    "fairness",
    "bias",
    "privacy",
    "calibration",
    "recall",
    "precision",
    "schema",
    "validation",
    "leakage",
    "split",
    "imbalance",
    "sampling",
    "dedup",
    "version",
    "lineage",
    "cache",
    "transformer",
    "attention",
    "token",
    "context",
    "prompt",
    "adapter",
    "lora",
    "optimizer",
    "warmup",
    "schedule",
]


def machine() -> str:
    """One line describing the machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50, p99 and mean of latency samples in ms."""
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p99": p99, "mean": statistics.fmean(ordered)}


def rss_mib() -> float:
    """Peak resident memory of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mib(path: Path) -> float:
    """Size of a folder, MiB."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1024


def clustered_vectors(n: int, dim: int, seed: int, centers: int = 2000) -> Iterator[np.ndarray]:
    """Unit vectors drawn around random topic centres, like embeddings of a real corpus,
    yielded in blocks of 10,000."""
    rng = np.random.default_rng(seed)
    hubs = rng.standard_normal((centers, dim)).astype(np.float32)
    for start in range(0, n, 10_000):
        m = min(10_000, n - start)
        picks = hubs[rng.integers(0, centers, m)]
        block = picks + 0.9 * rng.standard_normal((m, dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        yield block


def synthetic_text(rng: np.random.Generator, words: int = 60) -> str:
    """A sentence of ML words, for BM25 vectors and payload text of realistic size."""
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), words))


def synthetic_point(item_id: str, vector: np.ndarray, text: str, kind: str) -> StoredPoint:
    """One single-chunk document as mlkb stores it: dense and BM25 vectors, chunk payload."""
    key = f"{item_id}#0"
    return StoredPoint(
        id=point_id(key),
        dense=vector.tolist(),
        sparse=bm25_document(text),
        payload={
            "key": key,
            "item_id": item_id,
            "doc_id": item_id,
            "kind": kind,
            "source": "bench",
            "position": 0,
            "title": text[:60],
            "text": text,
        },
    )
