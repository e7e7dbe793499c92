"""Retries, Retry-After, persistent failures, malformed answers, unreachable services."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from ingest_fakes import FakeService, Reply, closed_port_url, service_settings

from ingest import Failure, IngestReport, run
from ingest.pipeline import store
from mlkb import Document, KnowledgeBase
from mlkb.errors import SourceError

LORA = "https://huggingface.co/docs/peft/main/en/conceptual_guides/lora"
AMP = "https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html"
RATE_LIMITED = Reply.json(
    {"success": False, "error": "Rate limit exceeded"}, 429, **{"Retry-After": "1"}
)
SERVER_ERROR = Reply.json({"success": False, "error": "Internal server error"}, 500)


def first_url_always_fails(service: FakeService) -> None:
    """Firecrawl answers 500 to the first URL's three tries, then scrapes the second."""
    service.route(
        "POST",
        "/v2/scrape",
        SERVER_ERROR,
        SERVER_ERROR,
        SERVER_ERROR,
        Reply.file("firecrawl/scrape_amp.json"),
    )


def test_firecrawl_429_honours_retry_after(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("POST", "/v2/scrape", RATE_LIMITED, Reply.file("firecrawl/scrape_lora.json"))
    started = time.monotonic()
    report = run(kb, "url", {"urls": [LORA]})
    assert report.new == 1 and report.failed == []
    assert len(service.requests("/v2/scrape")) == 2
    assert time.monotonic() - started >= 0.9  # Retry-After: 1, not the 0.01 s backoff


def test_tavily_429_honours_retry_after(service: FakeService, kb: KnowledgeBase) -> None:
    service.route(
        "POST",
        "/search",
        Reply.json({"detail": {"error": "rate limited"}}, 429, **{"Retry-After": "1"}),
        Reply.file("tavily/search.json"),
    )
    started = time.monotonic()
    report = run(kb, "web", {"query": "loss scaling"})
    assert report.new == 3
    assert len(service.requests("/search")) == 2
    assert time.monotonic() - started >= 0.9


def test_a_long_retry_after_is_capped(
    service: FakeService, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service asking for an hour waits at most ``MAX_WAIT`` (here 0.5 s) a retry."""
    import ingest._http

    monkeypatch.setattr(ingest._http, "MAX_WAIT", 0.5)
    service.route(
        "POST",
        "/search",
        Reply.json({"detail": {"error": "rate limited"}}, 429, **{"Retry-After": "3600"}),
        Reply.file("tavily/search.json"),
    )
    started = time.monotonic()
    assert run(kb, "web", {"query": "loss scaling"}).new == 3
    assert 0.4 <= time.monotonic() - started < 10


def test_arxiv_503_then_success(service: FakeService, kb: KnowledgeBase) -> None:
    service.route(
        "GET",
        "/api/query",
        Reply(503, "busy", content_type="text/plain"),
        Reply.file("arxiv/ids.xml"),
    )
    report = run(kb, "arxiv", {"ids": ["1706.03762", "1810.04805"]})
    assert report.new == 2 and len(service.requests("/api/query")) == 2


def test_persistent_500_fails_the_item_and_the_rest_go_on(
    service: FakeService, kb: KnowledgeBase
) -> None:
    first_url_always_fails(service)
    report = run(kb, "url", {"urls": [LORA, AMP]})
    assert len(service.requests("/v2/scrape")) == 4  # 1 try + 2 retries, then the next URL
    assert [f.id_or_url for f in report.failed] == [LORA]
    assert "500" in report.failed[0].error
    assert report.new == 1 and kb.get(f"url:{AMP}").title.startswith("Automatic Mixed")


def test_persistent_500_on_a_search_is_a_source_error(
    service: FakeService, kb: KnowledgeBase
) -> None:
    service.route("POST", "/search", SERVER_ERROR)
    with pytest.raises(SourceError, match="Tavily"):
        run(kb, "web", {"query": "loss scaling"})
    assert len(service.requests("/search")) == 3


def test_malformed_scrape_fails_the_item(service: FakeService, kb: KnowledgeBase) -> None:
    service.route(
        "POST",
        "/v2/scrape",
        Reply(200, "<html>upstream proxy error</html>"),
        Reply.json({"success": True, "data": {"metadata": {"sourceURL": AMP}}}),
        Reply.json({"success": True, "data": 5}),  # JSON, not Firecrawl's shape
        Reply.file("firecrawl/scrape_lora.json"),
    )
    report = run(kb, "url", {"urls": ["https://example.com/a", AMP, "https://example.com/b", LORA]})
    errors = {f.id_or_url: f.error for f in report.failed}
    assert "malformed" in errors["https://example.com/a"]
    assert (
        "malformed" in errors["https://example.com/b"] and "URL" in errors["https://example.com/b"]
    )
    assert [(f.id_or_url, f.error) for f in report.skipped] == [(f"url:{AMP}", "no text")]
    assert report.new == 1


def test_malformed_search_is_a_source_error(service: FakeService, kb: KnowledgeBase) -> None:
    service.route(
        "POST", "/search", Reply(200, '{"results": [truncated'), Reply.json({"results": "nope"})
    )
    with pytest.raises(SourceError, match="malformed"):
        run(kb, "web", {"query": "loss scaling"})
    with pytest.raises(SourceError, match="no list of results"):
        run(kb, "web", {"query": "loss scaling"})


@pytest.mark.parametrize(
    ("source", "params"),
    [
        ("arxiv", {"query": "attention"}),
        ("url", {"urls": [LORA]}),
        ("url", {"urls": [LORA], "crawl": True}),
        ("web", {"query": "loss scaling"}),
    ],
)
def test_connection_refused_is_a_source_error(
    make_kb: Callable[..., KnowledgeBase], source: str, params: dict[str, object]
) -> None:
    kb = make_kb(service_settings(closed_port_url()))
    with pytest.raises(SourceError, match=r"unreachable \(.*connection refused\)") as raised:
        run(kb, source, params)
    setting = {"arxiv": "ARXIV", "url": "FIRECRAWL", "web": "TAVILY"}[source]
    assert f"check the network and MLKB_{setting}_API_URL" in str(raised.value)
    assert "HTTPConnectionPool" not in str(raised.value)


def test_a_service_failure_keeps_what_was_fetched(kb: KnowledgeBase) -> None:
    def items() -> Iterator[Document | Failure]:
        for n in range(3):
            yield Document(
                id=f"url:https://example.com/{n}",
                kind="guide",
                source="url",
                title=f"Page {n}",
                text=f"# Page {n}\n\nWarmup for {n} epochs.",
            )
        raise SourceError("Firecrawl is unreachable (connection refused)")

    report = IngestReport(source="url")
    with pytest.raises(SourceError, match=r"3 documents were stored before it"):
        store(kb, items(), report)
    assert report.new == 3
    assert kb.get("url:https://example.com/2").title == "Page 2"


def test_progress_sees_every_item(service: FakeService, kb: KnowledgeBase) -> None:
    first_url_always_fails(service)
    seen: list[tuple[int | None, int]] = []
    run(kb, "url", {"urls": [LORA, AMP]}, progress=lambda r: seen.append((r.total, r.done)))
    assert seen[-1] == (2, 2)
    assert (2, 1) in seen
