"""SIGKILL in the middle of a write: the store reopens, and rerunning the command finishes
the job with the same points as a run that was never interrupted.

Each scenario runs ``mlkb`` in a real subprocess, waits until it holds the store, kills it
at a seeded random moment of its write phase, opens the store, reruns the same command,
and compares every point (id and payload, and that both vectors are there) with a clean
run's.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlkb import Document, KnowledgeBase, Settings
from mlkb.cli.recipes import TEMPLATE
from mlkb.embed.fake import FakeEmbedder
from mlkb.store.edge import EdgeStore
from mlkb.transfer import export_store
from tests.reliability import harness as h
from tests.stores import copy_store

REPEATS = 3
SEED = 20240608


@dataclass
class Scenario:
    """A command, the files it reads, and the store it starts from (None: a new one)."""

    args: tuple[str, ...]
    workdir: Path
    start_from: Path | None = None


def _text(i: int, sections: int, words: int) -> str:
    body = "\n\n".join(
        f"## Part {j}\n\n"
        + " ".join(f"term{(i * 31 + j * 7 + k) % 509} learning rate drift." for k in range(words))
        for j in range(sections)
    )
    return f"# Note {i}\n\n{body}\n"


def _prepare(home: Path, scenario: Scenario) -> None:
    if home.exists():
        shutil.rmtree(home)
    if scenario.start_from is not None:
        copy_store(scenario.start_from, home)


def _store_opens(home: Path) -> int:
    """Open the store at the lowest level (no seeding, no repair); its point count."""
    store = EdgeStore(h.store_folder(home))
    try:
        meta = store.meta()
        assert meta is None or meta.model == "fake"
        return store.count()
    finally:
        store.close()


def _crash_and_recover(
    scenario: Scenario, tmp_path: Path, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    clean = tmp_path / "clean"
    _prepare(clean, scenario)
    began = time.monotonic()
    assert h.run_here(monkeypatch, clean, *scenario.args, cwd=scenario.workdir) == 0
    window = time.monotonic() - began  # about how long the child holds the store
    expected = h.points(clean)
    assert expected, "the clean run wrote nothing"

    log = []
    for rep in range(REPEATS):
        home = tmp_path / f"crash-{rep}"
        _prepare(home, scenario)
        proc = h.start(home, *scenario.args, cwd=scenario.workdir)
        h.wait_for_lock(proc, home)
        delay = rng.uniform(0.0, window)
        killed = h.kill_after(proc, delay)
        count = _store_opens(home)
        if rep % 2:  # every other time, the next command is a plain user's search
            h.open_like_a_user(home)
        assert h.run_here(monkeypatch, home, *scenario.args, cwd=scenario.workdir) == 0
        got = h.points(home)
        problem = h.diff(expected, got)
        assert not problem, f"killed at {delay:.2f}s of {window:.2f}s: {problem}"
        if rep == REPEATS - 1:
            assert h.open_like_a_user(home)["points"] == len(expected)
        log.append(
            f"{'killed' if killed else 'finished'} at {delay:.2f}/{window:.2f}s, "
            f"{count} points after the kill"
        )
    return log


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    return random.Random(f"{SEED}-{request.node.name}")


def test_import_killed_at_random_points(
    tmp_path: Path, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mlkb import BIG.jsonl`` into a new store (seeding included)."""
    source = Settings(home=tmp_path / "source", embed_model="fake")
    with KnowledgeBase(source, embedder=FakeEmbedder(), seed=False) as kb:
        docs = [
            Document(
                id=f"file:big/{i}.md",
                kind="note",
                source="file",
                title=f"Note {i}",
                text=_text(i, 5, 40),
            )
            for i in range(20)
        ]
        list(kb.add_documents(docs))
        with (tmp_path / "big.jsonl").open("w", encoding="utf-8") as out:
            assert export_store(kb, out) > 150
    scenario = Scenario(("import", "big.jsonl"), tmp_path)
    log = _crash_and_recover(scenario, tmp_path, rng, monkeypatch)
    assert len(log) == REPEATS


def test_recipe_add_killed_at_random_points(
    tmp_path: Path, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mlkb recipe add DIR`` with more recipes than one write batch, into a new store."""
    folder = tmp_path / "recipes"
    folder.mkdir()
    for i in range(260):
        (folder / f"r{i}.yaml").write_text(
            TEMPLATE.replace("my-recipe-slug", f"crash-recipe-{i}").replace(
                "One line that names", f"Recipe {i} names"
            )
        )
    log = _crash_and_recover(
        Scenario(("recipe", "add", "recipes"), tmp_path), tmp_path, rng, monkeypatch
    )
    assert len(log) == REPEATS


def test_ingest_files_killed_while_updating_a_store(
    tmp_path: Path, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mlkb ingest files notes/`` over a store holding an older version of the notes:
    documents grow, shrink and stay, so stale chunks must go and none may be lost."""
    notes = tmp_path / "notes"
    notes.mkdir()

    def write(i: int, sections: int, words: int) -> None:
        (notes / f"n{i}.md").write_text(_text(i, sections, words))

    for i in range(16):
        write(i, 5, 40)
    first = tmp_path / "first"
    assert h.run_here(monkeypatch, first, "ingest", "files", "notes", "--quiet", cwd=tmp_path) == 0
    for i in range(16):
        if i % 3 == 0:
            write(i, 8, 40)  # grows
        elif i % 3 == 1:
            write(i, 2, 40)  # shrinks: its stale chunks must be deleted
    scenario = Scenario(("ingest", "files", "notes", "--quiet"), tmp_path, start_from=first)
    log = _crash_and_recover(scenario, tmp_path, rng, monkeypatch)
    assert len(log) == REPEATS
