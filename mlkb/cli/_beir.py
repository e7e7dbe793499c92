"""Ingest a BEIR corpus into a throw-away (or kept) store and score its queries."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mlkb.cli._common import err_console
from mlkb.evaluate import EvalReport, evaluate, kb_retriever, load_beir
from mlkb.settings import Settings
from mlkb.vocab import SearchMode


def beir_reports(
    base: Settings, folder: Path, split: str, modes: list[SearchMode], keep: Path | None
) -> list[EvalReport]:
    """One report per mode; the corpus is ingested once (or reused from ``keep``)."""
    from mlkb.kb import KnowledgeBase

    docs, queries, qrels = load_beir(folder, split)
    home = keep or Path(tempfile.mkdtemp(prefix="mlkb-beir-"))
    settings = base.model_copy(
        update={
            "home": home,
            "qdrant_url": None,
            "seed_on_first_use": False,
            "collection": f"beir-{folder.name}",
            "model_cache": base.model_cache_dir,
        }
    )
    try:
        with KnowledgeBase(settings) as kb:
            if kb.stats()["documents"] < len(docs):
                err_console.print(f"ingesting {len(docs):,} documents from {folder} …")
                for _ in kb.add_documents(docs):
                    pass
            return [
                evaluate(f"{folder.name}/{split}", queries, qrels, kb_retriever(kb, m), m.value)
                for m in modes
            ]
    finally:
        if keep is None:
            shutil.rmtree(home, ignore_errors=True)
