"""Run ``mlkb`` in a real subprocess, kill it with SIGKILL, and read what a store holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from mlkb.store.lock import LOCK_NAME

PYTHON = sys.executable
MAIN = "from mlkb.cli import main; main()"


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a child ``mlkb``: its own MLKB_HOME and the fake embedder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKB_")}
    env.update({"MLKB_HOME": str(home), "MLKB_EMBED_MODEL": "fake", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def start(home: Path, *args: str, cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    """``mlkb ARGS`` as a new process."""
    return subprocess.Popen(
        [PYTHON, "-c", MAIN, *args],
        cwd=cwd,
        env=child_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run(home: Path, *args: str, cwd: Path, timeout: float = 120, **env: str) -> Result:
    """``mlkb ARGS`` to completion."""
    proc = start(home, *args, cwd=cwd, **env)
    out, err = proc.communicate(timeout=timeout)
    return Result(proc.returncode, out.decode(), err.decode())


def run_here(monkeypatch: pytest.MonkeyPatch, home: Path, *args: str, cwd: Path) -> int:
    """``mlkb ARGS`` in this process, as the console script runs it; the exit code."""
    from mlkb.cli import run

    with monkeypatch.context() as patch:
        for key, value in child_env(home).items():
            if key.startswith("MLKB_"):
                patch.setenv(key, value)
        patch.chdir(cwd)
        patch.setattr(sys, "argv", ["mlkb", *args])
        try:
            run()
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


@dataclass
class Result:
    code: int
    out: str
    err: str


def store_folder(home: Path) -> Path:
    """The embedded store folder under ``home`` (default collection)."""
    return home / "stores" / "mlkb"


def wait_for_lock(proc: subprocess.Popen[bytes], home: Path, timeout: float = 60) -> float:
    """Block until ``proc`` holds the store lock (it has opened the store); the time it took."""
    lock = store_folder(home) / LOCK_NAME
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            return time.monotonic() - started
        try:
            if json.loads(lock.read_text() or "{}").get("pid") == proc.pid:
                return time.monotonic() - started
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    raise TimeoutError("the child never opened the store")


def kill_after(proc: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; False when it had already exited."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.002)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    return killed


def points(home: Path) -> dict[str, dict[str, Any]]:
    """Every point of the store under ``home``: id -> payload; checks each has both vectors."""
    settings = Settings(home=home, embed_model="fake", seed_on_first_use=False)
    with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
        found: dict[str, dict[str, Any]] = {}
        for point in kb.iter_points(vectors=True):
            assert point.dense is not None and len(point.dense) == 64, point.payload["key"]
            found[point.id] = point.payload
    return found


def open_like_a_user(home: Path) -> dict[str, Any]:
    """Open the store as the next command would (seeding if it is new); its stats."""
    settings = Settings(home=home, embed_model="fake")
    with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
        kb.search("learning rate drift")
        return kb.stats()


def diff(expected: dict[str, dict[str, Any]], got: dict[str, dict[str, Any]]) -> str:
    """A short description of how two point sets differ ('' when equal)."""
    missing = sorted(expected.keys() - got.keys())
    extra = sorted(got.keys() - expected.keys())
    changed = sorted(k for k in expected.keys() & got.keys() if expected[k] != got[k])
    parts = []
    for name, ids in (("missing", missing), ("extra", extra), ("changed", changed)):
        if ids:
            keys = [(expected.get(i) or got[i])["key"] for i in ids[:3]]
            parts.append(f"{len(ids)} {name} (e.g. {keys})")
    return "; ".join(parts)
