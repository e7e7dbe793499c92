"""Firecrawl (url) and Tavily (web) through their real clients against the local server."""

from __future__ import annotations

import json

import pytest
from ingest_fakes import FakeService, Reply, fixture, service_settings

from ingest import run
from mlkb import KnowledgeBase, SearchRequest
from mlkb.errors import ConfigError

LORA = "https://huggingface.co/docs/peft/main/en/conceptual_guides/lora"
AMP = "https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html"
JOB = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"


def test_scrape_pages_as_guides(service: FakeService, kb: KnowledgeBase) -> None:
    service.route(
        "POST",
        "/v2/scrape",
        Reply.file("firecrawl/scrape_lora.json"),
        Reply.file("firecrawl/scrape_amp.json"),
    )
    report = run(kb, "url", {"urls": [LORA, AMP + "#autocast"]})

    assert (report.new, report.failed) == (2, [])
    sent = [r.json() for r in service.requests("/v2/scrape")]
    assert sent[0]["url"] == LORA and sent[0]["formats"] == ["markdown"]
    assert service.requests("/v2/scrape")[0].headers["Authorization"] == "Bearer fc-test-key"
    doc = kb.get(f"url:{LORA}")
    assert (doc.kind.value, doc.source, doc.title, doc.url) == ("guide", "url", "LoRA", LORA)
    assert "crawled_at" in doc.metadata and doc.metadata["site"] == "Hugging Face"
    assert any(c.section == ["LoRA", "Common LoRA parameters in PEFT"] for c in doc.chunks)
    amp = kb.get(f"url:{AMP}")
    assert amp.tags == ["amp", "autocast", "gradscaler", "fp16"]  # stored lowercase
    hits = kb.search(SearchRequest(query="GradScaler loss scaling", source=["url"]))
    assert hits.hits[0].id == f"url:{AMP}"


def test_crawl_polls_and_follows_pages(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("POST", "/v2/crawl", Reply.file("firecrawl/crawl_start.json"))
    service.route(
        "GET",
        f"/v2/crawl/{JOB}",
        Reply.file("firecrawl/crawl_status_scraping.json"),
        Reply.file("firecrawl/crawl_status_page1.json"),
        Reply.file("firecrawl/crawl_status_page1.json"),
        Reply.file("firecrawl/crawl_status_page2.json"),
    )
    report = run(
        kb,
        "url",
        {
            "urls": ["https://huggingface.co/docs/peft/main/en"],
            "crawl": True,
            "limit": 4,
            "depth": 2,
        },
    )

    start = service.requests("/v2/crawl")[0].json()
    assert (start["limit"], start["maxDiscoveryDepth"]) == (4, 2)
    assert start["scrapeOptions"]["formats"] == ["markdown"]
    assert report.new == 3
    assert [f.error for f in report.failed] == ["the page answered HTTP 404"]
    ia3 = kb.get("url:https://huggingface.co/docs/peft/main/en/conceptual_guides/ia3")
    assert ia3.title == "IA3"
    assert service.requests(f"/v2/crawl/{JOB}")[-1].query == {"skip": ["2"]}


def test_firecrawl_key_is_required_before_any_request(
    service: FakeService, make_kb, isolated_home
) -> None:  # type: ignore[no-untyped-def]
    kb = make_kb(service_settings(service.url, firecrawl_api_key=None))
    with pytest.raises(ConfigError, match="FIRECRAWL_API_KEY"):
        run(kb, "url", {"urls": [LORA]})
    assert service.seen == []


def test_web_search_results_as_guides(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("POST", "/search", Reply.file("tavily/search.json"))
    report = run(kb, "web", {"query": "mixed precision training loss scaling", "max": 3})

    body = service.requests("/search")[0].json()
    assert (body["query"], body["max_results"]) == ("mixed precision training loss scaling", 3)
    assert service.requests("/search")[0].headers["Authorization"] == "Bearer tvly-test-key"
    assert report.new == 3
    paper = kb.get("url:https://arxiv.org/abs/1710.03740")  # tracking parameter dropped
    assert paper.source == "web" and paper.kind.value == "guide"
    assert paper.metadata["rank"] == 3 and paper.metadata["extracted"] is False
    assert "FP32 master copy" in paper.text


def test_web_extract_fetches_full_content(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("POST", "/search", Reply.file("tavily/search.json"))
    service.route("POST", "/extract", Reply.file("tavily/extract.json"))
    report = run(kb, "web", {"query": "mixed precision training loss scaling", "extract": True})

    assert report.new == 3
    assert len(service.requests("/extract")[0].json()["urls"]) == 3
    nvidia = kb.get(
        "url:https://docs.nvidia.com/deeplearning/performance/mixed-precision-training/index.html"
    )
    assert nvidia.metadata["extracted"] is True and "dynamic loss scaling" in nvidia.text
    assert "## Loss Scaling To Preserve Small Gradient Magnitudes" in nvidia.text
    # a page Tavily could not extract keeps its snippet
    assert "FP32 master copy" in kb.get("url:https://arxiv.org/abs/1710.03740").text


def test_web_rerun_no_op_then_changed_snippet(service: FakeService, kb: KnowledgeBase) -> None:
    original = fixture("tavily/search.json")
    data = json.loads(original)
    data["results"][0]["content"] += " Use bfloat16 where the hardware supports it."
    service.route(
        "POST", "/search", Reply(200, original), Reply(200, original), Reply(200, json.dumps(data))
    )
    params = {"query": "mixed precision training loss scaling"}
    assert run(kb, "web", params).new == 3
    points = kb.store.count()
    second = run(kb, "web", params)
    third = run(kb, "web", params)
    assert (second.unchanged, second.chunks) == (3, 0)
    assert (third.updated, third.unchanged) == (1, 2)
    assert kb.store.count() == points


def test_tavily_key_is_required(service: FakeService, make_kb) -> None:  # type: ignore[no-untyped-def]
    kb = make_kb(service_settings(service.url, tavily_api_key=None))
    with pytest.raises(ConfigError, match="TAVILY_API_KEY"):
        run(kb, "web", {"query": "warmup schedule"})
    assert service.seen == []
