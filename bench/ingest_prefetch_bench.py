"""Ingest from a source with network latency: fetching ahead on a thread against in turn.

A source yields the first ``--docs`` SciFact abstracts, waiting ``--latency`` seconds before
each, as a network fetch would. The same pipeline (``ingest.pipeline.store``, real model)
runs with the source fetching ahead (mlkb) and with fetching and embedding in turn
(baseline), alternately, into a new store each time.

    python -m bench.ingest_prefetch_bench --docs 300 --latency 0.05 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench._common import machine

SCIFACT = Path(__file__).resolve().parents[2] / "shared" / "data" / "beir-scifact" / "corpus.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=SCIFACT)
    parser.add_argument("--model-cache", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ingest.pipeline import PREFETCH, store
    from ingest.report import IngestReport
    from mlkb import KnowledgeBase, Settings
    from mlkb.schema import Document, Kind

    rows = []
    with args.corpus.open() as corpus:
        for line in corpus:
            row = json.loads(line)
            rows.append((row["_id"], row["title"] or row["_id"], row["text"]))
            if len(rows) == args.docs:
                break

    def source() -> Iterator[Document]:
        for doc_id, title, text in rows:
            time.sleep(args.latency)
            yield Document(
                id=f"file:scifact/{doc_id}", kind=Kind.paper, source="files", title=title, text=text
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
