"""The benchmark scripts keep working: a small run of the one that needs no model.

The figures themselves are measured by hand (bench/README.md), never as timed tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(module: str, *args: str) -> str:
    """Run ``python -m bench.<module> args`` from the repository root; its output."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_scale_bench_small_run(tmp_path: Path) -> None:
    stdout = run_bench("scale_bench", "--sizes", "1500", "--queries", "20", "--dir", str(tmp_path))
    row = json.loads(next(line for line in stdout.splitlines() if line.startswith("{")))
    assert row["points"] == 1500
    assert row["recall@10"] >= 0.9  # under the full-scan threshold: exact either way
    assert "| 1,500 |" in stdout


def test_ingest_bench_small_run(tmp_path: Path, real_model_cache: Path) -> None:
    """Both weights and the baseline on six abstracts: the script runs and prints its
    ratios (the model export is shared with the rest of the session)."""
    beir = tmp_path / "beir"
    beir.mkdir()
    with (beir / "corpus.jsonl").open("w") as out:
        for i in range(6):
            text = f"Abstract {i} on tau phosphorylation in glial cells. " * (20 + 30 * i)
            out.write(json.dumps({"_id": str(i), "title": f"Paper {i}", "text": text}) + "\n")
    args = ["--beir", str(beir), "--rounds", "1", "--fp32", "--models", str(real_model_cache)]
    stdout = run_bench("ingest_bench", *args)
    assert "6 abstracts" in stdout
    assert "int8 is" in stdout and "ratio: mlkb is" in stdout
