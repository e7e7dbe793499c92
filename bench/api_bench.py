"""Warm API search latency and throughput at 100k chunks, against in-process search.

    python bench/api_bench.py                  # 100k chunks, 2000 requests, 8 client threads
    python bench/api_bench.py --small          # 5k chunks, 300 requests: a quick smoke run
    python bench/api_bench.py --cache DIR      # where the synthetic store is built and reused

The store holds synthetic one-chunk documents (vocabulary of ML terms) embedded with the
deterministic fake embedder at 384 dimensions (``MLKB_EMBED_MODEL=fake:384``, the real
model's width), plus the seeded recipes; building 100k chunks with the real model would take
most of an hour on 2 cores and measure the embedder, not the API. Queries are embedded by the
same fake embedder, so what is measured is HTTP + validation + hybrid search + JSON.
``--real-model-home DIR`` measures an existing store built with the real model instead
(``cold_search.py`` builds one: the seeds plus synthetic chunks), so each query also runs
through the ONNX model.

Baseline, in the same run: the same queries through ``KnowledgeBase.search`` in-process
(sequentially for latency, with the same number of threads for throughput). The ratio
API / baseline is the cost of the service layer.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

MODEL = "fake:384"
WORDS = (  # noqa: SIM905 - a paragraph reads better than 70 quoted words
    "gradient learning rate warmup schedule batch normalization dropout overfitting drift "
    "embedding transformer attention tokenizer quantization distillation pruning latency "
    "throughput serving feature store label leakage imbalance calibration ensemble boosting "
    "optimizer adam momentum weight decay checkpoint sharding pipeline evaluation metric "
    "precision recall auc retrieval reranking index vector cache gpu memory mixed fp16 bf16 "
    "monitoring alert anomaly fairness bias privacy augmentation curriculum contrastive "
    "pretraining finetuning lora adapter prompt context window hallucination grounding"
).split()
QUERIES = [
    "learning rate warmup for transformer fine-tuning",
    "detect data drift in production",
    "reduce serving latency with quantization",
    "class imbalance calibration",
    "label leakage in feature store",
    "gpu memory mixed precision bf16",
    "lora adapter finetuning prompt",
    "retrieval reranking vector index",
    "overfitting dropout weight decay",
    "monitoring alert anomaly fairness",
]


def _env(home: Path, model: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKB_")}
    env.update({"MLKB_HOME": str(home), "MLKB_EMBED_MODEL": model, "HF_HUB_OFFLINE": "1"})
    return env


def _settings(home: Path, model: str = MODEL):  # type: ignore[no-untyped-def]
    from mlkb import Settings

    return Settings(home=home, embed_model=model, api_url=None, qdrant_url=None)


def build_store(home: Path, chunks: int) -> None:
    """Synthetic one-chunk documents until the store holds ``chunks`` of them (reused)."""
    from mlkb import Document, Kind, KnowledgeBase

    marker = home / f"built-{chunks}"
    if marker.exists():
        print(f"reusing the store in {home} ({chunks:,} chunks)")
        return
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    rng = random.Random(7)
    started = time.perf_counter()

    def docs() -> Iterator[Document]:
        for i in range(chunks):
            words = " ".join(rng.choice(WORDS) for _ in range(50))
            yield Document(
                id=f"doc:bench-{i}",
                kind=Kind.note,
                source="doc",
                title=f"Note {i} on {rng.choice(WORDS)}",
                text=words,
                tags=[rng.choice(WORDS)],
            )

    kb = KnowledgeBase(_settings(home))
    try:
        for n, _ in enumerate(kb.add_documents(docs()), start=1):
            if n % 10_000 == 0:
                print(f"  {n:,} chunks, {time.perf_counter() - started:.0f} s", flush=True)
        stats = kb.stats()
    finally:
        kb.close()
    marker.touch()
    print(f"built {stats['chunks']:,} chunks in {time.perf_counter() - started:.0f} s")


def _summary(latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
        "rps": len(ordered) / seconds,
    }


def _load(call: Callable[[str], None], requests: int, threads: int) -> dict[str, float]:
    """Run ``requests`` calls over ``threads`` threads; per-call latency and throughput."""
    latencies: list[float] = []

    def one(i: int) -> None:
        t0 = time.perf_counter()
        call(QUERIES[i % len(QUERIES)] + f" {WORDS[i % len(WORDS)]}")
        latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(requests)))
    return _summary(latencies, time.perf_counter() - started)


def baseline(
    home: Path, requests: int, threads: int, model: str = MODEL
) -> dict[str, dict[str, float]]:
    """The same searches through KnowledgeBase in this process."""
    from mlkb import KnowledgeBase, SearchRequest

    kb = KnowledgeBase(_settings(home, model), seed=False)
    try:

        def call(q: str) -> None:
            kb.search(SearchRequest(query=q, k=10))

        _load(call, 50, 1)  # warm
        return {"sequential": _load(call, requests, 1), "threads": _load(call, requests, threads)}
    finally:
        kb.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(home: Path, requests: int, threads: int, model: str = MODEL) -> dict[str, dict[str, float]]:
    """Start ``mlkb serve`` on 127.0.0.1 and run the same searches over HTTP."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlkb.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=_env(home, model),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("mlkb serve did not start")
            time.sleep(0.2)
        # One keep-alive connection per client thread, from the standard library: the
        # load generator shares the two cores with the server, and httpx spent about 1 ms
        # of CPU more per request (2.1 ms against 1.0 ms for a round trip to /healthz).
        local = threading.local()

        def call(q: str) -> None:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.conn.request("GET", "/v1/search?" + urllib.parse.urlencode({"q": q, "k": 10}))
            r = local.conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise SystemExit(f"search failed: {r.status} {body[:200]!r}")

        _load(call, 50, 1)  # warm
        return {"sequential": _load(call, requests, 1), "threads": _load(call, requests, threads)}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    """Parse options, build or reuse the store, measure, print the table and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(".bench-cache/api"),
        help="folder for the synthetic store (reused between runs)",
    )
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--small", action="store_true", help="5k chunks, 300 requests")
    parser.add_argument(
        "--real-model-home",
        type=Path,
        default=None,
        help="measure an existing MLKB_HOME built with the real model (e.g. cold_search's "
        "store) instead of the synthetic one: queries then go through the ONNX model",
    )
    args = parser.parse_args()
    if args.small:
        args.chunks, args.requests = 5_000, 300
    model = MODEL
    if args.real_model_home is not None:
        from mlkb.settings import DEFAULT_MODEL

        model = DEFAULT_MODEL
        home = args.real_model_home.resolve()
    else:
        home = args.cache.resolve() / f"home-{args.chunks}"
        build_store(home, args.chunks)
    base = baseline(home, args.requests, args.threads, model)
    served = api(home, args.requests, args.threads, model)
    print(
        f"\n{args.chunks:,} chunks, {args.requests} requests per run, "
        f"{args.threads} client threads, {os.cpu_count()} CPUs"
    )
    print(f"{'':28}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for name, data in (
        ("in-process, sequential", base["sequential"]),
        ("in-process, threads", base["threads"]),
        ("API, sequential", served["sequential"]),
        ("API, threads", served["threads"]),
    ):
        print(f"{name:28}{data['p50_ms']:9.2f}{data['p99_ms']:9.2f}{data['rps']:9.1f}")
    seq, b = served["sequential"], base["sequential"]
    print(
        f"API / in-process (sequential): p50 x{seq['p50_ms'] / b['p50_ms']:.2f}, "
        f"p99 x{seq['p99_ms'] / b['p99_ms']:.2f}; throughput with threads "
        f"x{served['threads']['rps'] / base['threads']['rps']:.2f}"
    )
    print("targets: p50 <= 15 ms, p99 <= 40 ms, >= 100 req/s")


if __name__ == "__main__":
    main()
