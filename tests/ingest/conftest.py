"""Fixtures for the ingest tests: the fake services, settings pointing at them, a store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ingest_fakes import FakeService, service_settings

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder


@pytest.fixture
def service() -> Iterator[FakeService]:
    """One local server standing in for arXiv, the Hub, Firecrawl and Tavily."""
    server = FakeService()
    yield server
    server.close()


@pytest.fixture
def make_kb(isolated_home: Path) -> Iterator[Callable[..., KnowledgeBase]]:
    """Open a store on the fake embedder with the given settings (closed after the test)."""
    opened: list[KnowledgeBase] = []

    def make(settings: Settings) -> KnowledgeBase:
        kb = KnowledgeBase(settings, embedder=FakeEmbedder(), seed=False)
        opened.append(kb)
        return kb

    yield make
    for kb in opened:
        kb.close()


@pytest.fixture
def kb(service: FakeService, make_kb: Callable[..., KnowledgeBase]) -> KnowledgeBase:
    """An empty store whose settings point at the fake services."""
    return make_kb(service_settings(service.url))
