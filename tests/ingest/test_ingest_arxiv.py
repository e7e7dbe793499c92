"""arXiv through the real ``arxiv`` client against the local server."""

from __future__ import annotations

import threading

import pytest
from ingest_fakes import FakeService, Reply, fixture, make_pdf, service_settings

from ingest import run
from mlkb import KnowledgeBase, SearchRequest
from mlkb.errors import InputError, SourceError

_FILL = [
    "The encoder maps an input sequence of symbol representations to a sequence of continuous",
    "representations, and the decoder then generates an output sequence one element at a time.",
    "At each step the model is auto-regressive, consuming the previously generated symbols as",
    "additional input when generating the next. Each layer has a multi-head self-attention",
    "sub-layer and a position-wise fully connected feed-forward network, with residual",
    "connections around each of the two sub-layers, followed by layer normalization.",
]
ATTENTION_PAGES = [
    [
        "Attention Is All You Need",
        "Abstract",
        "The dominant sequence transduction models are based on complex recurrent networks.",
        *_FILL,
        "1 Introduction",
        "Recurrent neural networks, long short-term memory and gated recurrent neural net-",
        "works in particular, have been firmly established as state of the art approaches.",
        *_FILL,
        "3 Model Architecture",
        "Most competitive neural sequence transduction models have an encoder-decoder structure.",
        *_FILL,
        "3.2 Scaled Dot-Product Attention",
        "We call our particular attention Scaled Dot-Product Attention. The input consists of",
        "queries and keys of dimension dk, and values of dimension dv.",
        *_FILL,
        "2",
    ],
    [
        "5 Training",
        "This section describes the training regime for our models.",
        *_FILL,
        "5.4 Regularization",
        "We employ residual dropout with rate 0.1 and label smoothing of value 0.1 "
        "during training.",
        *_FILL,
        "7 Conclusion",
        "We presented the Transformer, the first sequence transduction model based entirely on",
        "attention. We trained it with Adam, beta2 0.98 and warmup of 4000 steps.",
        *_FILL,
        "References",
        "[1] Jimmy Lei Ba, Jamie Ryan Kiros, and Geoffrey E Hinton. Layer normalization.",
    ],
]


def test_ids_become_paper_documents(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("GET", "/api/query", Reply.file("arxiv/ids.xml"))
    report = run(kb, "arxiv", {"ids": ["1706.03762v7", "arXiv:1810.04805"]})

    assert (report.fetched, report.new, report.failed) == (2, 2, [])
    query = service.requests("/api/query")[0].query
    assert query["id_list"] == ["1706.03762,1810.04805"]
    doc = kb.get("arxiv:1706.03762")
    assert doc.kind.value == "paper" and doc.source == "arxiv"
    assert doc.title == "Attention Is All You Need"
    assert doc.authors[:2] == ["Ashish Vaswani", "Noam Shazeer"] and len(doc.authors) == 8
    assert doc.published is not None and doc.published.year == 2017
    assert doc.metadata["categories"] == ["cs.CL", "cs.LG"]
    assert doc.metadata["arxiv_id"] == "1706.03762v7"
    assert doc.url == "http://arxiv.org/abs/1706.03762v7"
    assert "28.4 BLEU" in doc.text
    bert = kb.get("arxiv:1810.04805")
    assert bert.title.startswith("BERT: Pre-training") and "  " not in bert.title


def test_search_query_max_and_since(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("GET", "/api/query", Reply.file("arxiv/search_lora.xml"))
    report = run(kb, "arxiv", {"query": "low-rank adaptation", "max": 3, "since": "2022-01-01"})

    sent = service.requests("/api/query")[0].query
    assert sent["search_query"][0].startswith(
        "(low-rank adaptation) AND submittedDate:[202201010000"
    )
    assert sent["sortBy"] == ["submittedDate"] and sent["max_results"] == ["3"]
    assert report.total == 1 and report.new == 1  # LoRA (2021) is older than --since
    hits = kb.search(SearchRequest(query="4-bit quantized finetuning", kind=["paper"]))
    assert hits.hits[0].id == "arxiv:2305.14314"


def test_full_text_is_chunked_by_section(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("GET", "/api/query", Reply.file("arxiv/ids.xml"))
    pdf = make_pdf("Attention Is All You Need", ATTENTION_PAGES)
    service.route("GET", "/pdf/1706.03762v7", Reply(200, pdf, content_type="application/pdf"))
    service.route("GET", "/pdf/1810.04805v2", Reply(404, "not found", content_type="text/plain"))

    report = run(kb, "arxiv", {"ids": ["1706.03762", "1810.04805"], "full_text": True})

    assert report.new == 1
    assert [f.id_or_url for f in report.failed] == ["arxiv:1810.04805"]
    assert "404" in report.failed[0].error
    doc = kb.get("arxiv:1706.03762")
    assert doc.metadata["full_text"] is True
    sections = {" > ".join(c.section) for c in doc.chunks}
    title = "Attention Is All You Need"
    assert f"{title} > 3 Model Architecture > 3.2 Scaled Dot-Product Attention" in sections
    assert f"{title} > 5 Training > 5.4 Regularization" in sections
    assert doc.text.count("Abstract") == 1  # the PDF's own abstract heading is not repeated
    assert "### 3.2 Scaled Dot-Product Attention" in doc.text
    assert "networks in particular" in doc.text  # hyphenation undone
    assert "Layer normalization" not in doc.text  # the reference list is dropped
    for chunk in doc.chunks:
        assert chunk.doc_id == doc.id and chunk.end > chunk.start


def test_a_stalled_pdf_fails_its_paper_only(service: FakeService, make_kb) -> None:  # type: ignore[no-untyped-def]
    service.route("GET", "/api/query", Reply.file("arxiv/ids.xml"))
    stalled = threading.Event()
    service.route("GET", "/pdf/1706.03762v7", Reply(200, b"%PDF", gate=stalled))
    pdf = make_pdf("BERT", [["1 Introduction", "Language model pre-training helps."]])
    service.route("GET", "/pdf/1810.04805v2", Reply(200, pdf, content_type="application/pdf"))
    kb = make_kb(service_settings(service.url, http_timeout=0.3, http_retries=1))
    try:
        report = run(kb, "arxiv", {"ids": ["1706.03762", "1810.04805"], "full_text": True})
    finally:
        stalled.set()
    assert report.new == 1 and [f.id_or_url for f in report.failed] == ["arxiv:1706.03762"]
    assert "MLKB_HTTP_TIMEOUT" in report.failed[0].error


def test_rerun_is_a_no_op_and_a_revision_updates(service: FakeService, kb: KnowledgeBase) -> None:
    feed = fixture("arxiv/ids.xml")
    revised = feed.replace("Our model achieves 28.4 BLEU", "Our big model achieves 28.4 BLEU")
    service.route("GET", "/api/query", Reply(200, feed), Reply(200, feed), Reply(200, revised))
    params = {"ids": ["1706.03762", "1810.04805"]}

    first = run(kb, "arxiv", params)
    points = kb.store.count()
    second = run(kb, "arxiv", params)
    third = run(kb, "arxiv", params)

    assert (first.new, second.unchanged, second.chunks) == (2, 2, 0)
    assert kb.store.count() == points
    assert (third.updated, third.unchanged) == (1, 1)
    assert "Our big model" in kb.get("arxiv:1706.03762").text
    assert kb.store.count() == points


def test_missing_ids_are_reported(service: FakeService, kb: KnowledgeBase) -> None:
    service.route("GET", "/api/query", Reply.file("arxiv/ids.xml"))
    report = run(kb, "arxiv", {"ids": ["1706.03762", "1810.04805", "2401.00001"]})
    assert report.new == 2
    assert [(f.id_or_url, f.error) for f in report.failed] == [
        ("arxiv:2401.00001", "not found on arXiv")
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"query": "x", "ids": ["1706.03762"]},
        {"ids": ["not-an-id"]},
        {"query": "x", "max": 0},
        {"query": "x", "bogus": 1},
    ],
)
def test_bad_params_are_input_errors(kb: KnowledgeBase, params: dict[str, object]) -> None:
    with pytest.raises(InputError, match="ingest arxiv"):
        run(kb, "arxiv", params)


def test_malformed_feed_is_a_source_error(service: FakeService, kb: KnowledgeBase) -> None:
    service.route(
        "GET",
        "/api/query",
        Reply(
            200,
            "<html><body>Service temporarily unavailable</body></html>",
            content_type="text/html",
        ),
    )
    with pytest.raises(SourceError, match="malformed"):
        run(kb, "arxiv", {"query": "attention"})
    assert kb.store.count() == 0
