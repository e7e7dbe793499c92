"""Hugging Face model cards through huggingface_hub against the local server.

huggingface_hub fixes offline mode at import and the suite sets HF_HUB_OFFLINE=1, so
each test runs the ingest in a child process (``hf_child.py``) with the mode it needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingest_fakes import FakeService, Reply, closed_port_url, fixture

BERT, MINILM = "google-bert/bert-base-uncased", "sentence-transformers/all-MiniLM-L6-v2"
SHA = {
    BERT: "86b5e0934494bd15c9632b12f734a8a67f723594",
    MINILM: "c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
}
CHILD = Path(__file__).with_name("hf_child.py")


def ingest(base: str, params: dict[str, Any], runs: int = 1, offline: str = "0") -> dict[str, Any]:
    env = {**os.environ, "HF_HUB_OFFLINE": offline, "HF_HOME": os.environ["MLKB_HOME"] + "-hf"}
    done = subprocess.run(
        [sys.executable, str(CHILD), json.dumps({"base": base, "params": params, "runs": runs})],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def serve_model(service: FakeService, repo: str, *readme: Reply) -> None:
    name = "bert" if repo == BERT else "minilm"
    service.route("GET", f"/api/models/{repo}", Reply.file(f"hf/model_info_{name}.json"))
    service.route(
        "GET",
        f"/{repo}/resolve/{SHA[repo]}/README.md",
        *(readme or [Reply.file(f"hf/README_{name}.md")]),
    )


def test_model_cards_by_id(service: FakeService) -> None:
    serve_model(service, BERT)
    serve_model(service, MINILM)
    out = ingest(service.url, {"model_ids": [BERT, MINILM]})

    report = out["reports"][0]
    assert (report["new"], report["failed"]) == (2, [])
    bert = out["docs"][f"hf:{BERT}"]
    assert (bert["kind"], bert["source"], bert["title"]) == ("model_card", "hf", BERT)
    assert bert["url"] == f"{service.url}/{BERT}" and bert["authors"] == ["google-bert"]
    meta = bert["metadata"]
    assert meta["license"] == "apache-2.0" and meta["datasets"] == ["bookcorpus", "wikipedia"]
    assert meta["pipeline_tag"] == "fill-mask" and meta["arxiv"] == ["1810.04805"]
    assert meta["sha"] == SHA[BERT]
    minilm = out["docs"][f"hf:{MINILM}"]
    assert minilm["metadata"]["base_model"] == "nreimers/MiniLM-L6-H384-uncased"
    assert "sentence-similarity" in minilm["tags"]
    sections = [c["section"] for c in bert["chunks"]]
    assert ["BERT base model (uncased)", "Training procedure", "Pretraining"] in sections
    assert all("license: apache-2.0" not in c["text"] for c in bert["chunks"])  # YAML not in text


def test_search_with_task_and_library(service: FakeService) -> None:
    service.route("GET", "/api/models", Reply.file("hf/list_models.json"))
    serve_model(service, BERT)
    serve_model(service, MINILM)
    out = ingest(
        service.url, {"search": "bert", "task": "fill-mask", "library": "transformers", "max": 2}
    )
    query = service.requests("/api/models")[0].query
    assert query["search"] == ["bert"] and query["pipeline_tag"] == ["fill-mask"]
    assert query["filter"] == ["transformers"] and query["limit"] == ["2"]
    assert out["reports"][0]["new"] == 2 and set(out["docs"]) == {f"hf:{BERT}", f"hf:{MINILM}"}


def test_rerun_is_a_no_op_and_an_edited_card_is_replaced(service: FakeService) -> None:
    card = fixture("hf/README_bert.md")
    edited = card.replace("## Evaluation results", "## Evaluation results\n\nSee also GLUE.")
    serve_model(service, BERT, Reply(200, card), Reply(200, card), Reply(200, edited))
    out = ingest(service.url, {"model_ids": [BERT]}, runs=3)
    first, second, third = out["reports"]
    assert (first["new"], second["unchanged"], second["chunks"], third["updated"]) == (1, 1, 0, 1)
    doc = out["docs"][f"hf:{BERT}"]
    assert any("See also GLUE." in c["text"] for c in doc["chunks"])
    assert out["points"] == len(doc["chunks"])


def test_429_500_malformed_and_missing(service: FakeService) -> None:
    serve_model(service, MINILM)
    serve_model(service, BERT)
    service.route(
        "GET",
        f"/api/models/{BERT}",
        Reply.json({"error": "rate limited"}, 429, **{"Retry-After": "0"}),
        Reply.file("hf/model_info_bert.json"),
    )
    service.route("GET", f"/api/models/{MINILM}", Reply.json({"error": "boom"}, 500))
    service.route("GET", "/api/models/acme/broken", Reply(200, '{"id": "acme/bro'))
    service.route("GET", "/api/models/acme/shape", Reply.json({"modelId": "not the Hub"}))
    service.route(
        "GET", "/api/models/acme/missing", Reply.json({"error": "Repository not found"}, 404)
    )
    out = ingest(
        service.url, {"model_ids": [BERT, MINILM, "acme/broken", "acme/shape", "acme/missing"]}
    )

    report = out["reports"][0]
    assert report["new"] == 1 and set(out["docs"]) == {f"hf:{BERT}"}
    errors = {f["id_or_url"]: f["error"] for f in report["failed"]}
    assert "500" in errors[f"hf:{MINILM}"]
    assert len(service.requests(f"/api/models/{MINILM}")) == 3
    assert "malformed" in errors["hf:acme/broken"]
    assert "malformed" in errors["hf:acme/shape"] and "HF_ENDPOINT" in errors["hf:acme/shape"]
    assert "not found" in errors["hf:acme/missing"]


def test_a_search_answer_of_another_shape_is_a_source_error(service: FakeService) -> None:
    service.route("GET", "/api/models", Reply.json({"models": "not a list of models"}))
    out = ingest(service.url, {"search": "bert"})
    assert out["error"]["code"] == "source_error" and "malformed" in out["error"]["message"]


def test_unreachable_hub_is_a_source_error() -> None:
    out = ingest(closed_port_url(), {"model_ids": [BERT]})
    assert out["error"]["code"] == "source_error" and "unreachable" in out["error"]["message"]


def test_offline_mode_is_refused_before_any_request(service: FakeService) -> None:
    out = ingest(service.url, {"model_ids": [BERT]}, offline="1")
    assert out["error"]["code"] == "config_error" and "HF_HUB_OFFLINE" in out["error"]["message"]
    assert service.seen == []
