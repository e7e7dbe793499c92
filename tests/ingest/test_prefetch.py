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

    items = prefetched(source(), depth=2)
    assert next(items).id_or_url == "0"  # type: ignore[union-attr]
    items.close()
    assert closed.wait(10)
    assert _wait_for(lambda: not any(t.name == "mlkb-ingest-fetch" for t in threading.enumerate()))
