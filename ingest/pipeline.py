"""Fetch -> chunk -> embed -> upsert: a source's items through ``KnowledgeBase.add_documents``.

A source yields Documents and Failures. Documents go to the knowledge base, which chunks,
embeds and writes them idempotently (an unchanged content hash is skipped). Failures are
counted and the run goes on. When the service itself fails (SourceError), what was
fetched so far is still written before the error is raised, so a rerun only has the rest
to do.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from ingest.report import Failure, IngestReport, Progress
from mlkb.errors import SourceError
from mlkb.schema import AddResult, AddStatus, Document

Item = Document | Failure


def store(
    kb: Any, items: Iterable[Item], report: IngestReport, progress: Progress | None = None
) -> IngestReport:
    """Write ``items`` through ``kb.add_documents``, filling in ``report``."""
    started = time.monotonic()
    stopped: list[SourceError] = []

    def tick() -> None:
        report.seconds = round(time.monotonic() - started, 3)
        if progress is not None:
            progress(report)

    def documents() -> Iterator[Document]:
        seen: set[str] = set()
        try:
            for item in items:
                if isinstance(item, Failure):
                    report.failed.append(item)
                    report.current = item.id_or_url
                    tick()
                    continue
                if item.id in seen:  # the same page twice in one crawl, overlapping globs
                    continue
                seen.add(item.id)
                report.fetched += 1
                yield item
        except SourceError as exc:
            stopped.append(exc)

    def on_result(result: AddResult) -> None:
        if result.status is AddStatus.new:
            report.new += 1
        elif result.status is AddStatus.updated:
            report.updated += 1
        else:
            report.unchanged += 1
        if result.status is not AddStatus.unchanged:
            report.chunks += result.chunks
        report.current = result.id
        tick()

    tick()
    for _ in kb.add_documents(documents(), on_result=on_result):
        pass
    report.seconds = round(time.monotonic() - started, 3)
    if stopped:
        kept = report.new + report.updated + report.unchanged
        raise SourceError(f"{stopped[0].message} ({kept} documents were stored before it)")
    return report
