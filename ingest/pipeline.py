"""Fetch -> chunk -> embed -> upsert: a source's items through ``KnowledgeBase.add_documents``.

The source runs on its own thread, ahead of the embedding, so network waits and model
runs overlap.

A source yields Documents and Failures. Documents go to the knowledge base, which chunks,
embeds and writes them idempotently (an unchanged content hash is skipped). Failures are
counted and the run goes on. When the service itself fails (SourceError), what was
fetched so far is still written before the error is raised, so a rerun only has the rest
to do. A run asked to stop (an API job cancelled) takes nothing more from the source, nor
waits for a fetch in flight, writes what it has, and returns its report marked ``stopped``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from ingest.report import Failure, IngestReport, Progress, Skipped
from mlkb.errors import SourceError
from mlkb.schema import AddResult, AddStatus, Document

Item = Document | Failure

PREFETCH = 128
"""Items a source fetches ahead while earlier ones are chunked and embedded: fetching
waits on the network, embedding on the CPU, and both let go of the GIL. The knowledge base
embeds in batches of about 256 chunks (some 140 abstracts), so the source needs to run
that far ahead to keep fetching through a whole batch; 128 documents of text are a few MB
(see bench/ingest_prefetch_bench.py)."""


def _close(source: object) -> None:
    """Close a generator (its ``finally`` blocks run, its connections are released); any
    other iterable has nothing to close."""
    close = getattr(source, "close", None)
    if close is not None:
        close()


class Halted(Exception):
    """The run was asked to stop while the source's next item was still on its way."""


def prefetched(
    items: Iterable[Item], depth: int = PREFETCH, halt: threading.Event | None = None
) -> Iterator[Item]:
    """``items`` in order, fetched on a thread up to ``depth`` ahead of the consumer.

    What the source raises reaches the consumer after the items fetched before it. When the
    consumer stops early, the thread stops at its next item and closes the source. Once
    ``halt`` is set, a consumer waiting for the next item gets Halted: a fetch in flight (a
    stalled service, a rate limit's wait) ends on the thread, and what it brings is dropped."""
    buffer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        source: Iterator[Item] | None = None
        try:
            source = iter(items)
            for item in source:
                if not put((True, item)):
                    return
            put((False, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((False, exc))
        finally:
            _close(source)

    thread = threading.Thread(target=fetch, name="mlkb-ingest-fetch", daemon=True)
    thread.start()
    try:
        while True:
            try:
                is_item, value = buffer.get(timeout=0.1)
            except queue.Empty:
                if halt is not None and halt.is_set():
                    raise Halted from None
                continue
            if is_item:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stop.set()


def store(
    kb: Any,
    items: Iterable[Item],
    report: IngestReport,
    progress: Progress | None = None,
    *,
    prefetch: int = PREFETCH,
    stop: threading.Event | None = None,
) -> IngestReport:
    """Write ``items`` through ``kb.add_documents``, filling in ``report``; the source runs
    up to ``prefetch`` items ahead on a thread (0: in turn with embedding). Once ``stop`` is
    set, no further item is taken from the source."""
    started = time.monotonic()
    stopped: list[SourceError] = []

    def tick() -> None:
        report.seconds = round(time.monotonic() - started, 3)
        if progress is not None:
            progress(report)

    def documents() -> Generator[Document, None, None]:
        seen: set[str] = set()
        source = prefetched(items, prefetch, stop) if prefetch else iter(items)
        try:
            for item in source:
                if stop is not None and stop.is_set():
                    report.stopped = True
                    break
                if isinstance(item, Failure):
                    (report.skipped if isinstance(item, Skipped) else report.failed).append(item)
                    report.current = item.id_or_url
                    tick()
                    continue
                if item.id in seen:  # the same page twice in one crawl, overlapping globs
                    continue
                seen.add(item.id)
                report.fetched += 1
                yield item
        except Halted:
            report.stopped = True
        except SourceError as exc:
            stopped.append(exc)
        finally:  # a failed write stops the source too, not only a finished one
            _close(source)

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
    docs = documents()
    try:
        for _ in kb.add_documents(docs, on_result=on_result):
            pass
    finally:
        docs.close()
    report.seconds = round(time.monotonic() - started, 3)
    if stopped:
        kept = report.new + report.updated + report.unchanged
        raise SourceError(f"{stopped[0].message} ({kept} documents were stored before it)")
    return report
