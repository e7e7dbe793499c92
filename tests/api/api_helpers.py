"""Helpers for the API tests: a recipe body, keys, and ``mlkb serve`` as a real process."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.stores import copy_store

LOCAL = "http://127.0.0.1"
"""Base URL for in-process clients: the app, bound to loopback by default, answers only
loopback Host names (TestClient's default, ``testserver``, gets a 421)."""
API_KEY = "k-" + secrets.token_hex(15)
READ_KEY = "r-" + secrets.token_hex(15)


def seeded_kb(template: Path, home: Path) -> tuple[object, object]:
    """Settings with the write key and a KnowledgeBase on a copy of the seeded template."""
    from mlkb import KnowledgeBase, Settings
    from mlkb.embed.fake import FakeEmbedder

    settings = Settings(
        home=home,
        embed_model="fake",
        api_key=API_KEY,
        api_read_key=None,
        api_url=None,
        qdrant_url=None,
        cors_origins=[],
    )
    copy_store(template, settings.store_path)
    return settings, KnowledgeBase(settings, embedder=FakeEmbedder(), seed=False)


def recipe_body(slug: str = "api-test-recipe", **extra: object) -> dict[str, object]:
    """A minimal valid recipe as JSON."""
    body: dict[str, object] = {
        "id": slug,
        "title": "Stabilise fine-tuning with warmup",
        "area": "training",
        "problem": "Loss spikes in the first hundred steps when fine-tuning a transformer.",
        "solution": "1. Linear warmup over 5% of steps.\n2. Clip gradients at 1.0.",
        "tags": ["warmup", "fine-tuning"],
        "hyperparameters": {"warmup_ratio": 0.05},
    }
    body.update(extra)
    return body


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a child mlkb process: its own home, the fake embedder, the key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKB_")}
    env.update(
        {
            "MLKB_HOME": str(home),
            "MLKB_EMBED_MODEL": "fake",
            "MLKB_API_KEY": API_KEY,
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@contextmanager
def running_server(
    home: Path, *, template: Path | None = None, timeout: float = 60, **env: str
) -> Iterator[str]:
    """``mlkb serve`` as a real process on a free port; killed on exit whatever happens.
    ``template``: a seeded store folder copied in first (seeding anew takes seconds)."""
    if template is not None and not (home / "stores" / "mlkb").exists():
        copy_store(template, home / "stores" / "mlkb")
    port = free_port()
    log = (home.parent / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlkb.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=server_env(home, **env),
        cwd=home.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlkb serve exited: {(home.parent / log.name).read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlkb serve did not become healthy in time")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
