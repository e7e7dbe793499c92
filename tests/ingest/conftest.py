"""Fixtures for the ingest tests: the fake services, settings pointing at them, a store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_fakes import FakeService

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder


@pytest.fixture
def service() -> Iterator[FakeService]:
    """One local server standing in for arXiv, the Hub, Firecrawl and Tavily."""
    server = FakeService()
    yield server
    server.close()


def service_settings(base: str, **overrides: Any) -> Settings:
    """Settings with every service URL at ``base``, keys set, and quick retries."""
    values: dict[str, Any] = {
        "embed_model": "fake",
        "arxiv_api_url": f"{base}/api/query",
        "firecrawl_api_url": base,
        "tavily_api_url": base,
        "hf_endpoint": base,
        "firecrawl_api_key": "fc-test-key",
        "tavily_api_key": "tvly-test-key",
        "http_timeout": 5.0,
        "http_retries": 2,
        "retry_backoff": 0.01,
        "arxiv_delay": 0.0,
        "crawl_poll_interval": 0.0,
    }
    values.update(overrides)
    return Settings(**values)


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
