"""The Python surface the REST API calls: ``ingest.run``, the registry, the report."""

from __future__ import annotations

import pytest

import ingest
from ingest import SOURCES, IngestReport, run
from mlkb import KnowledgeBase
from mlkb.errors import InputError


def test_exports_are_honest() -> None:
    assert sorted(ingest.__all__) == sorted(n for n in ingest.__all__ if hasattr(ingest, n))
    assert set(SOURCES) == {"arxiv", "hf", "url", "web", "files"}
    for name, source in SOURCES.items():
        assert source.name == name and source.doc
        assert callable(getattr(ingest, f"ingest_{name}"))


def test_unknown_source_and_bad_params(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match="unknown source 'rss'"):
        run(kb, "rss", {})
    with pytest.raises(InputError, match="urls"):
        run(kb, "url", {"urls": []})
    with pytest.raises(InputError, match="max"):
        run(kb, "web", {"query": "x", "max": 100})


def test_report_shape_for_the_api(kb: KnowledgeBase, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.md").write_text("# Early stopping\n\nPatience 5 on validation loss.\n")
    report = ingest.ingest_files(kb, paths=[str(tmp_path / "a.md")], root=str(tmp_path))
    assert isinstance(report, IngestReport)
    data = report.model_dump(mode="json")
    assert {"fetched", "new", "updated", "unchanged", "failed", "chunks", "seconds"} <= set(data)
    assert (data["fetched"], data["new"], data["chunks"]) == (1, 1, 1)
    assert "new 1" in report.summary()
