"""Search and similar over REST."""

from __future__ import annotations

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
    for response in (
        ro_client.get("/v1/search", params={"q": "drift", "kinds": "paper"}),
        ro_client.post("/v1/search", json={"query": "drift", "kinds": ["paper"]}),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == (
            "kinds: not a field of this request (misspelt? /docs lists them)"
        )
