"""Search and similar over REST."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_get_search_returns_ranked_hits(ro_client: TestClient) -> None:
    r = ro_client.get("/v1/search", params={"q": "data drift in production features", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "data drift in production features"
    assert 1 <= len(body["hits"]) <= 3
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert {"id", "kind", "title", "score", "snippet"} <= set(body["hits"][0])


def test_post_search_applies_filters(ro_client: TestClient) -> None:
    r = ro_client.post(
        "/v1/search",
        json={"query": "slow inference latency", "k": 5, "kind": ["recipe"], "area": ["serving"]},
    )
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits and all(h["kind"] == "recipe" and h["area"] == "serving" for h in hits)


def test_get_and_post_search_agree(ro_client: TestClient) -> None:
    params = {"q": "class imbalance", "k": 4, "area": ["training", "data"], "mode": "sparse"}
    got = ro_client.get("/v1/search", params=params).json()["hits"]
    posted = ro_client.post(
        "/v1/search",
        json={"query": "class imbalance", "k": 4, "area": ["training", "data"], "mode": "sparse"},
    )
    assert [h["id"] for h in got] == [h["id"] for h in posted.json()["hits"]]


def test_search_pages_with_offset_and_next_offset(ro_client: TestClient) -> None:
    whole = ro_client.get("/v1/search", params={"q": "overfitting", "k": 8}).json()
    first = ro_client.get("/v1/search", params={"q": "overfitting", "k": 4}).json()
    assert first["offset"] == 0 and first["next_offset"] == 4
    second = ro_client.post(
        "/v1/search", json={"query": "overfitting", "k": 4, "offset": first["next_offset"]}
    ).json()
    assert second["offset"] == 4 and second["next_offset"] == 8
    assert [h["id"] for h in first["hits"] + second["hits"]] == [h["id"] for h in whole["hits"]]
    for bad in (-1, 1001):
        r = ro_client.get("/v1/search", params={"q": "overfitting", "offset": bad})
        assert r.status_code == 422 and r.json()["problems"][0]["loc"] == "offset"


def test_search_tag_filter(ro_client: TestClient) -> None:
    r = ro_client.get("/v1/search", params={"q": "drift", "tag": "drift", "k": 10})
    hits = r.json()["hits"]
    assert hits and all("drift" in h["tags"] for h in hits)


def test_similar_excludes_the_item_and_respects_k(ro_client: TestClient) -> None:
    first = ro_client.get("/v1/search", params={"q": "overfitting", "kind": "recipe"}).json()
    item = first["hits"][0]["id"]
    r = ro_client.get(f"/v1/similar/{item}", params={"k": 3, "kind": "recipe"})
    assert r.status_code == 200
    ids = [h["id"] for h in r.json()["hits"]]
    assert len(ids) == 3 and item not in ids
    assert r.json()["took_ms"] > 0  # measured, as a search's is


def test_similar_pages_with_offset(ro_client: TestClient) -> None:
    whole = ro_client.get("/v1/similar/drift-psi-pricing", params={"k": 6}).json()
    page = ro_client.get("/v1/similar/drift-psi-pricing", params={"k": 3, "offset": 3}).json()
    assert (page["offset"], page["next_offset"]) == (3, 6)
    assert [h["id"] for h in page["hits"]] == [h["id"] for h in whole["hits"][3:]]
    bad = ro_client.get("/v1/similar/drift-psi-pricing", params={"offset": -1})
    assert bad.status_code == 422


def test_similar_unknown_id_is_404(ro_client: TestClient) -> None:
    r = ro_client.get("/v1/similar/no-such-recipe")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


def test_a_misspelt_parameter_is_refused_not_ignored(ro_client: TestClient) -> None:
    """GET as POST: `kinds=paper` would otherwise drop the filter and widen the answer."""
    got = ro_client.get("/v1/search", params={"q": "drift", "kinds": "paper"})
    assert got.status_code == 422, got.text
    assert got.json()["detail"] == "kinds: not a field of this request; did you mean 'kind'?"
    posted = ro_client.post("/v1/search", json={"query": "drift", "kinds": ["paper"]})
    assert posted.status_code == 422, posted.text
    assert posted.json()["detail"] == (
        "kinds: not a field of this request (misspelt? /docs lists them)"
    )


@pytest.mark.parametrize(
    ("sent", "hint"),
    [
        (
            {"q": "drift", "since": "2024-01-01"},
            "since: not a field of this request; did you mean 'published_from'?",
        ),
        ({"query": "drift"}, "query: not a field of this request; did you mean 'q'?"),
    ],
)
def test_a_name_from_elsewhere_gets_the_right_one(
    ro_client: TestClient, sent: dict[str, str], hint: str
) -> None:
    """The CLI says --since, the POST body says query: GET names its own words."""
    response = ro_client.get("/v1/search", params=sent)
    assert response.status_code == 422 and response.json()["detail"] == hint


def test_a_body_field_under_another_name_is_pointed_to(ro_client: TestClient) -> None:
    response = ro_client.post("/v1/search", json={"q": "drift"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "q: not a field of this request; did you mean 'query'?"
    )


def test_every_get_route_refuses_an_unknown_parameter(ro_client: TestClient) -> None:
    """Not only search: a typo'd filter on a list (``/v1/recipes?areas=llm``) would return
    everything. Every GET route in the OpenAPI schema is tried."""
    samples = {"item_id": "drift-psi-pricing", "recipe_id": "drift-psi-pricing", "job_id": "x"}
    paths = [
        path.format(**samples)
        for path, operations in ro_client.get("/openapi.json").json()["paths"].items()
        if "get" in operations
    ]
    assert {"/v1/recipes", "/v1/documents", "/v1/stats", "/healthz"} <= set(paths)
    for path in paths:
        response = ro_client.get(path, params={"bogus": "1"})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"].startswith("bogus: not a field of this request"), path
    listed = ro_client.get("/v1/recipes", params={"areas": "llm"})
    assert listed.json()["detail"] == "areas: not a field of this request; did you mean 'area'?"
    assert ro_client.get("/v1/recipes", params={"area": "llm", "limit": 1}).status_code == 200
