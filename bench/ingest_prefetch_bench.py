"""Ingest from a source with network latency: fetching ahead on a thread against in turn.

A source yields the first ``--docs`` SciFact abstracts, waiting ``--latency`` seconds before
each, as a network fetch would. The same pipeline (``ingest.pipeline.store``, real model)
runs with the source fetching ahead (mlkb) and with fetching and embedding in turn
(baseline), alternately, into a new store each time.

    python -m bench.ingest_prefetch_bench --beir ../shared/data/beir-scifact --docs 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench._common import machine
from bench.ingest_bench import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--beir", type=Path, required=True, help="a BEIR dataset folder")
    parser.add_argument("--model-cache", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ingest.pipeline import PREFETCH, store
    from ingest.report import IngestReport
    from mlkb import KnowledgeBase, Settings
    from mlkb.schema import Document, Kind

    docs = load(args.beir, args.docs)

    def source() -> Iterator[Document]:
        for doc in docs:
            time.sleep(args.latency)
            yield Document(
                id=f"file:scifact/{doc['id']}",
                kind=Kind.paper,
                source="files",
                title=doc["title"] or doc["id"],
                text=doc["text"],
            )

    print(f"machine: {machine()}")
    times: dict[str, list[float]] = {"in turn (baseline)": [], "fetching ahead": []}
    for _ in range(args.rounds):
        for name, prefetch in (("in turn (baseline)", 0), ("fetching ahead", PREFETCH)):
            with tempfile.TemporaryDirectory() as home:
                cache = {} if args.model_cache is None else {"model_cache": args.model_cache}
                settings = Settings(home=Path(home), seed_on_first_use=False, **cache)
                with KnowledgeBase(settings) as kb:
                    kb.embedder.embed_documents(["load the model first"])
                    started = time.perf_counter()
                    report = store(kb, source(), IngestReport(source="files"), prefetch=prefetch)
                    times[name].append(time.perf_counter() - started)
            print(f"{name:20s} {times[name][-1]:6.2f} s  {report.chunks} chunks", flush=True)
    base, ours = (statistics.median(v) for v in times.values())
    print(f"fetch alone: {args.docs * args.latency:.1f} s")
    print(f"median: in turn {base:.2f} s, fetching ahead {ours:.2f} s: {base / ours:.2f}x")


if __name__ == "__main__":
    main()
