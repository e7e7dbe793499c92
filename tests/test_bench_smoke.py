"""The benchmark scripts keep working: a small run of the one that needs no model.

The figures themselves are measured by hand (bench/README.md), never as timed tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_scale_bench_small_run(tmp_path: Path) -> None:
    args = ["--sizes", "1500", "--queries", "20", "--dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    row = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    assert row["points"] == 1500
    assert row["recall@10"] >= 0.9  # under the full-scan threshold: exact either way
    assert "| 1,500 |" in done.stdout
