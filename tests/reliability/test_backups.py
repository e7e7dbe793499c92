"""Backups: ``mlkb export``/``import`` and ``mlkb snapshot create``/``restore`` round-trip a
store exactly: every point's id, payload and vectors."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

from mlkb import Document, KnowledgeBase, Recipe, Settings
from mlkb.embed.fake import FakeEmbedder
from tests.cli_runner import run_cli


def _fill(kb: KnowledgeBase) -> None:
    docs = [
        Document(
            id=f"file:notes/{i}.md",
            kind="note",
            source="file",
            title=f"Note {i}",
            text=f"# Note {i}\n\n" + "learning rate warmup and drift. " * (40 + 30 * i),
        )
        for i in range(4)
    ]
    list(kb.add_documents(docs))
    kb.add_recipe(
        Recipe(
            id="my-own-fix",
            title="My own fix",
            area="training",
            problem="loss spikes after warmup",
            solution="1. Clip gradients.",
        )
    )


def _everything(home: Path, *, vectors: bool = True) -> dict[str, Any]:
    settings = Settings(home=home, embed_model="fake", seed_on_first_use=False)
    with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
        return {
            p.id: (p.payload, [round(x, 6) for x in p.dense or []] if vectors else None, p.sparse)
            for p in kb.iter_points(vectors=True)
        }


@pytest.fixture
def filled(fake_kb: KnowledgeBase, isolated_home: Path) -> dict[str, Any]:
    _fill(fake_kb)
    fake_kb.close()
    return _everything(isolated_home)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    return lambda *args: run_cli(capsys, *args)


@pytest.mark.parametrize("carry_vectors", [True, False])
def test_export_import_round_trip_keeps_everything(
    filled: dict[str, Any],
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    carry_vectors: bool,
) -> None:
    assert len(filled) > 250
    args = ["export", str(tmp_path / "all.jsonl")] + (["--vectors"] if carry_vectors else [])
    assert cli(*args).code == 0
    before = (tmp_path / "all.jsonl").read_bytes()
    refused = cli(*args)
    assert refused.code == 1 and "all.jsonl exists" in " ".join(refused.err.split())
    assert (tmp_path / "all.jsonl").read_bytes() == before
    (tmp_path / "all.jsonl").write_text("stale\n")
    assert cli(*args, "--force").code == 0
    replaced = (tmp_path / "all.jsonl").read_bytes()
    assert replaced.splitlines()[1:] == before.splitlines()[1:]  # all but the header's time
    other = tmp_path / "other-home"
    monkeypatch.setenv("MLKB_HOME", str(other))
    monkeypatch.setenv("MLKB_SEED_ON_FIRST_USE", "false")
    done = cli("import", str(tmp_path / "all.jsonl"))
    assert done.code == 0, done.err
    assert ("vectors reused" in done.out) is carry_vectors
    _assert_same_store(_everything(other), filled)


def _assert_same_store(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Payloads and BM25 vectors equal; dense vectors equal to float16 precision (the
    store keeps float16 and normalizes what it is given, which can move the last bit)."""
    assert got.keys() == want.keys()
    for key, (payload, dense, sparse) in want.items():
        assert got[key][0] == payload and got[key][2] == sparse
        assert got[key][1] == pytest.approx(dense, abs=5e-4)


def test_a_snapshot_cut_short_is_refused_and_the_store_kept(  # type: ignore[no-untyped-def]
    cli, filled: dict[str, Any], tmp_path: Path, isolated_home: Path
) -> None:
    whole = tmp_path / "whole.tar.gz"
    assert cli("snapshot", "create", str(whole)).code == 0
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = cli("snapshot", "restore", str(cut), "--force")
    assert result.code == 1 and "cut.tar.gz" in result.err and "Traceback" not in result.err
    assert "Aborted" not in result.err
    _assert_same_store(_everything(isolated_home), filled)


def test_snapshot_round_trip_and_overwrite_guard(
    filled: dict[str, Any],
    cli,
    tmp_path: Path,
    isolated_home: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snap = tmp_path / "backups" / "snap.tar.gz"
    made = cli("snapshot", "create", str(snap))
    assert made.code == 0, made.err
    assert f"{len(filled)} points" in made.out
    with tarfile.open(snap) as tar:
        names = tar.getnames()
    assert names[0] == "mlkb-snapshot.json" and "store/shard" in names
    assert not any(n.endswith(".mlkb.lock") for n in names)
    kept = snap.read_bytes()
    again = cli("snapshot", "create", str(snap))  # yesterday's backup is not written over
    assert again.code == 1 and "--force" in " ".join(again.err.split())
    assert snap.read_bytes() == kept

    # the store changes after the snapshot
    assert cli("rm", "my-own-fix").code == 0
    assert cli("rm", "file:notes/0.md").code == 0
    changed = _everything(isolated_home)
    assert changed != filled

    refused = cli("snapshot", "restore", str(snap))
    assert refused.code == 1 and "--force" in " ".join(refused.err.split())
    assert _everything(isolated_home) == changed  # nothing touched

    restored = cli("snapshot", "restore", str(snap), "--force")
    assert restored.code == 0, restored.err
    assert _everything(isolated_home) == filled
    assert not (isolated_home / "stores" / "mlkb" / ".restore").exists()
    # the engine's files keep their holes: far less disk than their sizes (220 MB)
    files = [p.stat() for p in (isolated_home / "stores").rglob("*") if p.is_file()]
    size, disk = sum(s.st_size for s in files), sum(s.st_blocks * 512 for s in files)
    assert size > 100 * 2**20 and disk < size / 4, (size, disk)

    # into a new home: no --force needed, and the store works for search
    monkeypatch.setenv("MLKB_HOME", str(tmp_path / "fresh"))
    assert cli("snapshot", "restore", str(snap)).code == 0
    assert _everything(tmp_path / "fresh") == filled
    found = cli("search", "loss spikes after warmup", "--json", "-k", "1")
    assert found.code == 0 and "my-own-fix" in found.out


def test_snapshot_errors_are_one_line(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLKB_EMBED_MODEL", "fake")
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tarball")
    bad = cli("snapshot", "restore", str(bogus))
    assert (
        bad.code == 1
        and "not an mlkb snapshot (it is not a .tar.gz file)" in " ".join(bad.err.split())
        and "Traceback" not in bad.err
    )
    absent = cli("snapshot", "restore", str(tmp_path / "absent.tar.gz"))
    assert absent.code == 1 and "no such file" in absent.err and "Traceback" not in absent.err
    missing = cli("snapshot", "create", str(tmp_path / "x.tar.gz"))
    assert missing.code == 2 and "no store" in " ".join(missing.err.split())
    monkeypatch.setenv("MLKB_QDRANT_URL", ":memory:")
    server = cli("snapshot", "create", str(tmp_path / "x.tar.gz"))
    assert server.code == 2 and "mlkb export" in " ".join(server.err.split())
    unwritable = cli("export", "/proc/mlkb-export.jsonl")  # the kernel's files take none
    assert unwritable.code == 2
    assert unwritable.err.splitlines()[-1].startswith("error: /proc/mlkb-export.jsonl: ")


@pytest.mark.slow
def test_snapshot_on_the_real_model_and_store(real_kb: KnowledgeBase, tmp_path: Path) -> None:
    from mlkb.snapshot import create_snapshot, restore_snapshot

    settings = real_kb.settings
    before = real_kb.search("model drifts after deployment").hits
    count = real_kb.stats()["points"]
    real_kb.close()
    info = create_snapshot(settings, tmp_path / "real.tar.gz")
    assert info.points == count and info.model == real_kb.embedder.name
    other = Settings(home=tmp_path / "restored")
    restore_snapshot(other, tmp_path / "real.tar.gz")
    with KnowledgeBase(other, embedder=real_kb.embedder) as kb:
        after = kb.search("model drifts after deployment").hits
    assert [(h.id, round(h.score, 5)) for h in after] == [(h.id, round(h.score, 5)) for h in before]
