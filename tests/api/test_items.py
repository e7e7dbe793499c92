"""Items, recipes CRUD and documents over REST."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from api_helpers import recipe_body
from fastapi.testclient import TestClient

from mlkb.errors import InvalidRecipe
from mlkb.seeds import load_recipe_file


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
    assert r.status_code == 201  # new; the same again is a 200
    doc_id = r.json()["id"]
    assert doc_id.startswith("doc:checkpointing-notes-")
    assert r.json() == {"id": doc_id, "status": "new", "chunks": 1}
    same = writer.post(
        "/v1/documents", json={"title": "Checkpointing notes", "text": text, "tags": ["memory"]}
    )
    assert same.status_code == 200
    assert same.json() == {"id": doc_id, "status": "unchanged", "chunks": 1}

    item = writer.get(f"/v1/items/{doc_id}").json()
    assert item["type"] == "document"
    assert item["document"]["chunks"][0]["section"] == ["Gradient checkpointing"]

    hits = writer.get(
        "/v1/search", params={"q": "recompute activations memory", "kind": "note"}
    ).json()["hits"]
    assert hits[0]["id"] == doc_id

    assert writer.delete(f"/v1/items/{doc_id}").status_code == 204
    assert writer.get(f"/v1/items/{doc_id}").status_code == 404


@pytest.mark.parametrize("titles", [("Notes", "Notes"), ("!!!", "???")])
def test_documents_without_id_never_overwrite_each_other(
    writer: TestClient, titles: tuple[str, str]
) -> None:
    first = writer.post("/v1/documents", json={"title": titles[0], "text": "About warmup."})
    second = writer.post("/v1/documents", json={"title": titles[1], "text": "About pruning."})
    assert first.json()["status"] == second.json()["status"] == "new"
    assert first.json()["id"] != second.json()["id"]
    for r, text in ((first, "About warmup."), (second, "About pruning.")):
        doc = writer.get(f"/v1/items/{r.json()['id']}").json()["document"]
        assert doc["chunks"][0]["text"] == text
    # the same text with cosmetic whitespace is the same document
    again = writer.post("/v1/documents", json={"title": titles[0], "text": "About  warmup.\n"})
    assert again.json()["id"] == first.json()["id"]


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
    assert ok.status_code == 201 and ok.json()["id"] == "url:https://example.org/a?b=1"
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
    blank = writer.post("/v1/documents", json={"title": "x", "text": "   "})
    assert blank.json()["detail"] == "text: is empty (or only spaces); write something"


def test_non_finite_numbers_in_a_recipe_are_422(writer: TestClient, tmp_path: Path) -> None:
    for field, raw in (
        ("metrics", "NaN"),
        ("hyperparameters", "Infinity"),
        ("metrics", "-Infinity"),
    ):
        body = recipe_body("nan-recipe")
        text = json.dumps(body)[:-1] + f', "{field}": {{"auc": {raw}}}}}'
        r = writer.post("/v1/recipes", content=text, headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == f"{field}.auc: must be a finite number"
    assert writer.get("/v1/items/nan-recipe").status_code == 404
    # the model rejects it wherever it comes from, e.g. a recipe file
    path = tmp_path / "nan.yaml"
    path.write_text(json.dumps(recipe_body("nan-recipe"))[:-1] + ', "metrics": {"auc": .nan}}')
    with pytest.raises(InvalidRecipe, match=r"'metrics.auc' must be a finite number"):
        load_recipe_file(path)


def test_server_owns_version_and_updated(writer: TestClient) -> None:
    body = recipe_body("owned-fields", version=999, updated="1999-01-01")
    assert writer.post("/v1/recipes", json=body).status_code == 201
    stored = writer.get("/v1/recipes/owned-fields").json()["recipe"]
    assert stored["version"] == 1 and stored["updated"] == dt.date.today().isoformat()
    # a recipe read from the API can be sent back as it is
    assert writer.put("/v1/recipes/owned-fields", json=stored).json()["status"] == "unchanged"
    changed = {**stored, "title": "Warmup, clipping and patience", "version": 50}
    assert writer.put("/v1/recipes/owned-fields", json=changed).json()["status"] == "updated"
    assert writer.get("/v1/recipes/owned-fields").json()["recipe"]["version"] == 2
    schema = writer.get("/openapi.json").json()["components"]["schemas"]["RecipeIn"]
    assert "ignored if sent" in schema["properties"]["version"]["description"]


def test_get_recipe_by_id(client: TestClient) -> None:
    some = client.get("/v1/recipes", params={"limit": 1}).json()["items"][0]["id"]
    r = client.get(f"/v1/recipes/{some}")
    assert r.status_code == 200 and r.json() == client.get(f"/v1/items/{some}").json()
    for unknown in ("no-such-recipe", "arxiv:1706.03762", "Not A Slug"):
        missing = client.get(f"/v1/recipes/{unknown}")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found", unknown


def test_list_recipes_repeated_filters_mean_any(client: TestClient) -> None:
    everything = client.get("/v1/recipes", params={"limit": 1000}).json()["items"]
    drift = {r["id"] for r in everything if "drift" in r["tags"]}
    other_tag = next(t for r in everything if "drift" not in r["tags"] for t in r["tags"])
    other = {r["id"] for r in everything if other_tag in r["tags"]}
    assert drift and other - drift

    both = client.get("/v1/recipes", params={"tag": ["drift", other_tag], "limit": 1000}).json()
    assert {r["id"] for r in both["items"]} == drift | other and both["total"] == len(drift | other)
    page = client.get(
        "/v1/recipes", params={"tag": ["drift", other_tag], "limit": 2, "offset": 1}
    ).json()
    assert [r["id"] for r in page["items"]] == [r["id"] for r in both["items"]][1:3]
    assert page["total"] == both["total"]

    areas = client.get("/v1/recipes", params={"area": ["serving", "monitoring"], "limit": 1000})
    in_areas = {r["id"] for r in everything if r["area"] in ("serving", "monitoring")}
    assert {r["id"] for r in areas.json()["items"]} == in_areas
    assert {r["area"] for r in areas.json()["items"]} == {"serving", "monitoring"}

    mixed = client.get(
        "/v1/recipes", params={"area": ["serving", "monitoring"], "tag": ["drift", other_tag]}
    ).json()
    assert mixed["total"] == len(in_areas & (drift | other))


def test_a_document_reads_as_text_cut_to_max_chars(writer: TestClient) -> None:
    text = "# Long notes\n\n" + "".join(f"Step {i}: warm up, then decay. " for i in range(400))
    doc_id = writer.post("/v1/documents", json={"title": "Long notes", "text": text}).json()["id"]
    whole = writer.get(f"/v1/items/{doc_id}").json()["document"]
    assert len(whole["chunks"]) > 1 and not whole["truncated"]
    assert whole["text"].strip() == text.strip()  # the chunks joined without their overlaps
    short = writer.get(f"/v1/items/{doc_id}", params={"chunks": "false", "max_chars": 40})
    doc = short.json()["document"]
    assert (doc["chunks"], doc["truncated"], doc["text"]) == ([], True, whole["text"][:40])
    assert writer.get(f"/v1/items/{doc_id}", params={"max_chars": 0}).status_code == 422


def test_the_passage_around_a_hits_chunk(writer: TestClient) -> None:
    """A hit on a long document names its chunk; ?chunk= reads that passage in context."""
    steps = "".join(f"Step {i}: warm up, then decay. " for i in range(400))
    text = f"# Long notes\n\n{steps}\n\n## Zebra quantization\n\nZebraquant stripes int4."
    doc_id = writer.post("/v1/documents", json={"title": "Long notes", "text": text}).json()["id"]
    hit = writer.get("/v1/search", params={"q": "zebraquant stripes"}).json()["hits"][0]
    assert hit["id"] == doc_id and hit["chunk"] > 2
    at = hit["chunk"]
    passage = writer.get(f"/v1/items/{doc_id}", params={"chunk": at}).json()["document"]
    assert [c["position"] for c in passage["chunks"]] == [at - 1, at]  # the last chunk
    assert "Zebraquant stripes int4." in passage["text"] and "Step 0:" not in passage["text"]
    alone = writer.get(f"/v1/items/{doc_id}", params={"chunk": at - 1, "around": 0}).json()
    assert [c["position"] for c in alone["document"]["chunks"]] == [at - 1]
    beyond = writer.get(f"/v1/items/{doc_id}", params={"chunk": at + 1})
    assert beyond.status_code == 404
    assert beyond.json()["detail"].endswith(f"has no chunk {at + 1}; its chunks are 0-{at}")
    recipe = writer.get("/v1/items/drift-psi-pricing", params={"chunk": 0}).json()
    assert recipe["type"] == "recipe"  # a recipe is one piece, chunk 0
    past = writer.get("/v1/items/drift-psi-pricing", params={"chunk": 3})
    assert past.status_code == 404 and "a recipe is one piece" in past.json()["detail"]


def test_list_documents(writer: TestClient) -> None:
    for title in ("First notes", "Second notes"):
        writer.post("/v1/documents", json={"title": title, "text": f"{title}: warm up."})
    page = writer.get("/v1/documents", params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["items"][0]["chunks"] == 1
    notes = writer.get("/v1/documents", params={"kind": "note"}).json()["items"]
    assert sorted(d["title"] for d in notes) == ["First notes", "Second notes"]
    assert writer.get("/v1/documents", params={"source": "arxiv"}).json()["total"] == 0
    assert writer.get("/v1/documents", params={"kind": "recipe"}).status_code == 422
