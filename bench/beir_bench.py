"""Retrieval quality on a BEIR dataset: hybrid against its baselines, dense-only and BM25-only.

Runs `mlkb eval --beir DIR` in the three modes on one ingested store (kept in --store for
reuse) and prints nDCG@10, recall@10 and MRR@10 with hybrid's gain over each baseline.

    python -m bench.beir_bench --beir ../shared/data/beir-scifact --split test
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench._common import machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--store", type=Path, default=Path("/tmp/mlkb-beir-store"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    cmd = [
        sys.executable,
        "-c",
        "from mlkb.cli import main; main()",
        "eval",
        "--beir",
        str(args.beir),
        "--split",
        args.split,
        "--store",
        str(args.store),
        "--json",
        "--mode",
        "hybrid",
        "--mode",
        "dense",
        "--mode",
        "sparse",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    reports = {r["mode"]: r for r in json.loads(out.stdout)}
    print("| mode | nDCG@10 | recall@10 | MRR@10 |")
    print("|---|---|---|---|")
    for mode in ("hybrid", "dense", "sparse"):
        r = reports[mode]
        print(f"| {mode} | {r['ndcg@10']:.4f} | {r['recall@10']:.4f} | {r['mrr@10']:.4f} |")
    hybrid = reports["hybrid"]["ndcg@10"]
    for base in ("dense", "sparse"):
        print(f"hybrid / {base}: {hybrid / reports[base]['ndcg@10']:.3f}x nDCG@10")


if __name__ == "__main__":
    main()
