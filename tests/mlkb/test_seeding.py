"""Curated recipes a user removes stay out of later syncs, backups and reindexes, until
restored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from mlkb.errors import ImportFileError, NotFound
from mlkb.seeding import DROPPED, dropped_seeds, sync_seeds
from mlkb.seeds import shipped_recipes
from mlkb.transfer import export_store, import_store, reindex
from tests.mlkb.helpers import make_recipe

DRIFT = "drift-psi-pricing"


def test_a_removed_curated_recipe_stays_out_until_restored(fake_kb: KnowledgeBase) -> None:
    shipped = len(shipped_recipes())
    fake_kb.delete(DRIFT)
    fake_kb.add_recipe(make_recipe("users-own"))
    fake_kb.delete("users-own")  # a user's own recipe is simply gone
    assert dropped_seeds(fake_kb.store.meta()) == {DRIFT}

    report = sync_seeds(fake_kb)
    assert (report.new, report.unchanged, report.kept_out) == (0, shipped - 1, 1)
    with pytest.raises(NotFound):
        fake_kb.get(DRIFT)

    restored = sync_seeds(fake_kb, restore=True)
    assert (restored.new, restored.kept_out) == (1, 0)
    assert fake_kb.get(DRIFT).id == DRIFT and dropped_seeds(fake_kb.store.meta()) == set()


def test_a_curated_recipe_edited_then_removed_stays_out(fake_kb: KnowledgeBase) -> None:
    edited = fake_kb.get(DRIFT).model_copy(update={"title": "Drift, as we do it"})
    fake_kb.add_recipe(edited, source="user", replace=True)
    fake_kb.delete(DRIFT)
    assert dropped_seeds(fake_kb.store.meta()) == {DRIFT}
    report = sync_seeds(fake_kb)
    assert (report.new, report.kept_out) == (0, 1)
    with pytest.raises(NotFound):
        fake_kb.get(DRIFT)


def test_backups_and_reindex_keep_the_record(
    fake_kb: KnowledgeBase, fake_settings: Settings, tmp_path: Path
) -> None:
    fake_kb.delete(DRIFT)
    dump = tmp_path / "backup.jsonl"
    with dump.open("w") as out:
        export_store(fake_kb, out)
    assert json.loads(dump.read_text().splitlines()[0])[DROPPED] == [DRIFT]

    reindex(fake_kb)
    assert dropped_seeds(fake_kb.store.meta()) == {DRIFT}
    fake_kb.close()

    # Restored into a new store, which seeds itself on first use: the removal holds.
    fresh = Settings(home=tmp_path / "fresh", embed_model="fake")
    with KnowledgeBase(fresh, embedder=FakeEmbedder()) as kb:
        assert kb.get(DRIFT).id == DRIFT
        import_store(kb, dump)
        with pytest.raises(NotFound):
            kb.get(DRIFT)
        assert dropped_seeds(kb.store.meta()) == {DRIFT}
        assert sync_seeds(kb).kept_out == 1


def test_an_export_header_with_a_bad_record_imports_nothing(
    empty_kb: KnowledgeBase, tmp_path: Path
) -> None:
    dump = tmp_path / "bad.jsonl"
    dump.write_text(json.dumps({"mlkb_export": 1, "model": "fake", DROPPED: "drift"}) + "\n")
    with pytest.raises(ImportFileError, match="must be a list of recipe ids"):
        import_store(empty_kb, dump)
