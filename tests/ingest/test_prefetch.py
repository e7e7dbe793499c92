"""The ingest pipeline fetches ahead of embedding, on a thread, in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ingest.pipeline import prefetched
from ingest.report import Failure
from mlkb.errors import SourceError


def _wait_for(condition, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_source_runs_ahead_while_the_consumer_works() -> None:
    fetched: list[int] = []

    def source() -> Iterator[Failure]:
        for i in range(5):
            fetched.append(i)
            yield Failure(id_or_url=str(i), error="x")

    items = prefetched(source(), depth=8)
    first = next(items)
    assert first.id_or_url == "0"
    # a plain generator would stay suspended after its first item
    assert _wait_for(lambda: len(fetched) == 5), fetched
    assert [f.id_or_url for f in items] == ["1", "2", "3", "4"]  # type: ignore[union-attr]


def test_an_error_comes_after_the_items_fetched_before_it() -> None:
    def source() -> Iterator[Failure]:
        yield Failure(id_or_url="a", error="x")
        yield Failure(id_or_url="b", error="x")
        raise SourceError("rate limited: retry later")

    got = []
    with pytest.raises(SourceError, match="rate limited"):
        for item in prefetched(source()):
            got.append(item.id_or_url)  # type: ignore[union-attr]
    assert got == ["a", "b"]


def test_stopping_early_stops_the_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[Failure]:
        try:
            for i in range(1000):
                yield Failure(id_or_url=str(i), error="x")
        finally:
            closed.set()

    earlier = set(threading.enumerate())  # another test's fetch may still be winding down
    items = prefetched(source(), depth=2)
    assert next(items).id_or_url == "0"  # type: ignore[union-attr]
    items.close()
    assert closed.wait(10)
    assert _wait_for(
        lambda: (
            not any(
                t.name == "mlkb-ingest-fetch" and t not in earlier for t in threading.enumerate()
            )
        )
    )


def test_a_source_that_fails_to_start_raises_instead_of_hanging() -> None:
    class Broken:
        def __iter__(self) -> Iterator[Failure]:
            raise SourceError("the service refused the query")

    raised: list[BaseException] = []

    def consume() -> None:
        try:
            list(prefetched(Broken()))  # type: ignore[arg-type]
        except BaseException as exc:
            raised.append(exc)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(10)
    assert not consumer.is_alive(), "the consumer waits forever"
    assert isinstance(raised[0], SourceError) and "refused" in str(raised[0])


def test_a_failed_write_stops_the_source() -> None:
    """When embedding or writing fails, the source is closed at once, not left fetching
    up to the prefetch depth (each fetch may be a paid API call)."""
    from ingest.pipeline import store
    from ingest.report import IngestReport
    from mlkb.schema import Document, Kind

    closed = threading.Event()
    fetched: list[int] = []

    def source() -> Iterator[Document]:
        try:
            for i in range(1000):
                fetched.append(i)
                yield Document(id=f"doc:{i}", kind=Kind.note, source="files", title="t", text="x")
        finally:
            closed.set()

    class FailingKb:
        def add_documents(self, docs, on_result=None):  # type: ignore[no-untyped-def]
            next(iter(docs))
            raise RuntimeError("disk full")

    held: list[BaseException] = []
    try:
        store(FailingKb(), source(), IngestReport(source="files"))
    except RuntimeError as exc:
        held.append(exc)  # as an API job keeps its error, with its traceback's frames
    assert held and "disk full" in str(held[0])
    assert closed.wait(10)
    assert len(fetched) <= 130
