"""Items, recipes CRUD and documents over REST."""

from __future__ import annotations

from api_helpers import recipe_body
from fastapi.testclient import TestClient


def test_get_recipe_item(client: TestClient) -> None:
    hit = client.get("/v1/search", params={"q": "drift", "kind": "recipe"}).json()["hits"][0]
    r = client.get(f"/v1/items/{hit['id']}")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "recipe"
    assert body["recipe"]["id"] == hit["id"] and body["recipe"]["solution"]


def test_unknown_item_is_404(client: TestClient) -> None:
    for path in ("/v1/items/nope-nope", "/v1/items/arxiv:0000.00000"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_recipe_lifecycle(writer: TestClient) -> None:
    body = recipe_body()
    created = writer.post("/v1/recipes", json=body)
    assert created.status_code == 201
    assert created.json() == {"id": body["id"], "status": "new", "chunks": 0}

    again = writer.post("/v1/recipes", json=body)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"

    clash = writer.post("/v1/recipes", json={**body, "title": "Another recipe, same id"})
    assert clash.status_code == 409 and clash.json()["error"] == "duplicate_id"

    changed = {k: v for k, v in body.items() if k != "id"} | {"title": "Warmup and clipping"}
    put = writer.put(f"/v1/recipes/{body['id']}", json=changed)
    assert put.status_code == 200 and put.json()["status"] == "updated"
    stored = writer.get(f"/v1/items/{body['id']}").json()["recipe"]
    assert stored["title"] == "Warmup and clipping" and stored["version"] == 2

    found = writer.post("/v1/search", json={"query": "warmup and clipping", "k": 3}).json()
    assert body["id"] in [h["id"] for h in found["hits"]]

    assert writer.delete(f"/v1/recipes/{body['id']}").status_code == 204
    assert writer.get(f"/v1/items/{body['id']}").status_code == 404
    assert writer.delete(f"/v1/recipes/{body['id']}").status_code == 404


def test_put_rejects_mismatched_id(writer: TestClient) -> None:
    r = writer.put("/v1/recipes/one-id", json=recipe_body("other-id"))
    assert r.status_code == 422 and "differs" in r.json()["detail"]


def test_invalid_recipe_is_422_naming_the_field(writer: TestClient) -> None:
    r = writer.post("/v1/recipes", json=recipe_body(area="astrology"))
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request" and "area" in r.json()["detail"]
    r = writer.post("/v1/recipes", json=recipe_body("Bad Slug"))
    assert r.status_code == 422 and "id" in r.json()["detail"]
    r = writer.post("/v1/recipes", json=recipe_body(surprise=1))
    assert r.status_code == 422 and "surprise" in r.json()["detail"]


def test_list_recipes_pages_and_filters(client: TestClient) -> None:
    page1 = client.get("/v1/recipes", params={"limit": 5, "offset": 0}).json()
    page2 = client.get("/v1/recipes", params={"limit": 5, "offset": 5}).json()
    assert page1["total"] == page2["total"] > 10
    assert len(page1["items"]) == 5 and page1["limit"] == 5 and page2["offset"] == 5
    assert not {r["id"] for r in page1["items"]} & {r["id"] for r in page2["items"]}
    area = client.get("/v1/recipes", params={"area": "serving", "limit": 1000}).json()
    assert area["items"] and all(r["area"] == "serving" for r in area["items"])
    assert area["total"] == len(area["items"]) < page1["total"]
    tagged = client.get("/v1/recipes", params={"tag": "drift"}).json()
    assert tagged["items"] and all("drift" in r["tags"] for r in tagged["items"])


def test_add_document_then_read_search_and_delete(writer: TestClient) -> None:
    text = "# Gradient checkpointing\n\nTrade compute for memory: recompute activations.\n"
    r = writer.post(
        "/v1/documents", json={"title": "Checkpointing notes", "text": text, "tags": ["memory"]}
    )
    assert r.status_code == 200
    assert r.json() == {"id": "doc:checkpointing-notes", "status": "new", "chunks": 1}
    same = writer.post(
        "/v1/documents", json={"title": "Checkpointing notes", "text": text, "tags": ["memory"]}
    )
    assert same.json()["status"] == "unchanged"

    item = writer.get("/v1/items/doc:checkpointing-notes").json()
    assert item["type"] == "document"
    assert item["document"]["chunks"][0]["section"] == ["Gradient checkpointing"]

    hits = writer.get(
        "/v1/search", params={"q": "recompute activations memory", "kind": "note"}
    ).json()["hits"]
    assert hits[0]["id"] == "doc:checkpointing-notes"

    assert writer.delete("/v1/items/doc:checkpointing-notes").status_code == 204
    assert writer.get("/v1/items/doc:checkpointing-notes").status_code == 404


def test_document_with_explicit_id_and_bad_input(writer: TestClient) -> None:
    ok = writer.post(
        "/v1/documents",
        json={
            "id": "url:https://example.org/a?b=1",
            "title": "A page",
            "text": "Some text.",
            "kind": "guide",
            "url": "https://example.org/a",
        },
    )
    assert ok.status_code == 200 and ok.json()["id"] == "url:https://example.org/a?b=1"
    got = writer.get("/v1/items/url:https%3A//example.org/a%3Fb=1")
    assert got.status_code == 200 and got.json()["document"]["source"] == "url"
    for bad in (
        {"title": "x", "text": ""},
        {"title": "x", "text": "y", "kind": "recipe"},
        {"id": "nope:1", "title": "x", "text": "y"},
        {"title": "x", "text": "y", "url": "ftp://x"},
    ):
        r = writer.post("/v1/documents", json=bad)
        assert r.status_code == 422, bad
        assert r.json()["error"] == "invalid_request"
