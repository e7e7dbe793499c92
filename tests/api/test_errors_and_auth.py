"""Keys, limits and the one error shape: never a 500 for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import API_KEY, LOCAL, READ_KEY, recipe_body
from fastapi.testclient import TestClient

from api import create_app
from api.auth import key_matches
from mlkb import KnowledgeBase, Settings

JSON = {"content-type": "application/json"}


@pytest.fixture
def no_key_client(fake_settings: Settings, fake_kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(fake_settings, kb=fake_kb), base_url=LOCAL) as c:
        yield c


@pytest.fixture
def read_protected(fake_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("MLKB_API_KEY", API_KEY)
    monkeypatch.setenv("MLKB_API_READ_KEY", READ_KEY)
    with TestClient(create_app(Settings(), kb=fake_kb), base_url=LOCAL) as c:
        yield c


def test_writes_need_the_key(client: TestClient) -> None:
    missing = client.post("/v1/recipes", json=recipe_body())
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert "none was sent" in missing.json()["detail"]
    wrong = client.post("/v1/recipes", json=recipe_body(), headers={"X-API-Key": "x" * 32})
    assert wrong.status_code == 401 and "wrong" in wrong.json()["detail"]
    for method, path in (
        ("PUT", "/v1/recipes/some-id"),
        ("DELETE", "/v1/recipes/some-id"),
        ("DELETE", "/v1/items/doc:x"),
        ("POST", "/v1/documents"),
        ("POST", "/v1/ingest/files"),
    ):
        r = client.request(method, path, json={})
        assert r.status_code == 401, (method, path)
    ok = client.post("/v1/recipes", json=recipe_body(), headers={"X-API-Key": API_KEY})
    assert ok.status_code == 201


def test_reads_are_open_without_a_read_key(ro_client: TestClient) -> None:
    assert ro_client.get("/v1/search", params={"q": "drift"}).status_code == 200


def test_server_without_key_refuses_writes(no_key_client: TestClient) -> None:
    r = no_key_client.post("/v1/recipes", json=recipe_body(), headers={"X-API-Key": "anything"})
    assert r.status_code == 403
    assert r.json()["error"] == "writes_disabled" and "MLKB_API_KEY" in r.json()["detail"]


def test_read_key_protects_reads(read_protected: TestClient) -> None:
    assert read_protected.get("/v1/search", params={"q": "drift"}).status_code == 401
    assert read_protected.get("/v1/stats").status_code == 401
    for key in (READ_KEY, API_KEY):
        r = read_protected.get("/v1/search", params={"q": "drift"}, headers={"X-API-Key": key})
        assert r.status_code == 200
    # the read key does not grant writes
    w = read_protected.post("/v1/recipes", json=recipe_body(), headers={"X-API-Key": READ_KEY})
    assert w.status_code == 401
    assert read_protected.get("/healthz").status_code == 200
    # the request counts by route and status are reads too
    assert read_protected.get("/metrics").status_code == 401
    assert read_protected.get("/metrics", headers={"X-API-Key": READ_KEY}).status_code == 200


def test_every_guarded_route_documents_its_401(read_protected: TestClient) -> None:
    """Each route that answers 401 without the key says so in /openapi.json."""
    spec = read_protected.get("/openapi.json", headers={"X-API-Key": READ_KEY}).json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            concrete = path.replace("{item_id}", "doc:x").replace("{recipe_id}", "x")
            concrete = concrete.replace("{job_id}", "x").replace("{source}", "files")
            answer = read_protected.request(method.upper(), concrete, json={})
            if answer.status_code == 401:
                assert "401" in operation["responses"], (method, path)


def test_key_matches_is_exact() -> None:
    from pydantic import SecretStr

    key = SecretStr("abcdefgh12345678")
    assert key_matches("abcdefgh12345678", key)
    assert not key_matches("abcdefgh1234567", key)
    assert not key_matches(None, key)
    assert not key_matches("abcdefgh12345678", None)
    assert key_matches("\udcff", SecretStr("x")) is False


def test_body_size_limit_is_413(writer: TestClient) -> None:
    big = {"title": "big", "text": "x" * 1_100_000}
    r = writer.post("/v1/documents", json=big)
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert r.content.startswith(b'{"error":"payload_too_large","detail":')  # as other errors


def test_streamed_body_over_the_limit_is_413(writer: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "big", "text": "'
        for _ in range(120):
            yield b"y" * 10_000
        yield b'"}'

    r = writer.post("/v1/documents", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


def test_query_length_limit(ro_client: TestClient) -> None:
    limit = ro_client.app.state.settings.max_query_chars  # type: ignore[attr-defined]
    r = ro_client.post("/v1/search", json={"query": "a " * limit})
    assert r.status_code == 422 and r.json()["error"] == "invalid_query"
    assert f"{limit:,}" in r.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/v1/search", {}),
        ("GET", "/v1/search", {"params": {"q": "x", "k": 0}}),
        ("GET", "/v1/search", {"params": {"q": "x", "k": "many"}}),
        ("GET", "/v1/search", {"params": {"q": "x", "kind": "poem"}}),
        ("GET", "/v1/search", {"params": {"q": "x", "published_from": "yesterday"}}),
        ("GET", "/v1/search", {"params": {"q": "   "}}),
        ("POST", "/v1/search", {"content": b"{not json", "headers": JSON}),
        ("POST", "/v1/search", {"content": b"\x17\xff", "headers": JSON}),
        ("POST", "/v1/search", {"json": ["a", "list"]}),
        ("POST", "/v1/search", {"json": {"query": "x", "unknown": 1}}),
        ("POST", "/v1/search", {"json": {"query": 5}}),
        ("GET", "/v1/recipes", {"params": {"limit": 0}}),
        ("GET", "/v1/recipes", {"params": {"offset": -1}}),
        ("GET", "/v1/recipes", {"params": {"area": "nowhere"}}),
        ("GET", "/v1/similar/x", {"params": {"k": 1000}}),
    ],
)
def test_bad_input_is_a_4xx_with_the_error_shape(
    ro_client: TestClient, method: str, path: str, kwargs: dict[str, object]
) -> None:
    r = ro_client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert body["detail"] and body["error"]
    assert set(body) == (
        {"error", "detail", "problems"}
        if r.status_code == 422 and body["error"] == "invalid_request"
        else {"error", "detail"}
    )


def test_unknown_route_and_method(ro_client: TestClient) -> None:
    r = ro_client.get("/v2/anything")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = ro_client.patch("/v1/search")
    assert r.status_code == 405 and r.json() == {
        "error": "method_not_allowed",
        "detail": "PATCH is not allowed on /v1/search; use GET or POST",
    }
    assert r.headers["allow"] == "GET, POST"
    r = ro_client.post("/v1/items/some-id")
    assert r.status_code == 405 and r.json()["detail"].endswith("use GET or DELETE")


def test_head_healthz(ro_client: TestClient) -> None:
    r = ro_client.head("/healthz")
    assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize(
    ("method", "path", "detail"),
    [
        ("GET", "/v1/items", "no route GET /v1/items; did you mean /v1/items/{item_id}?"),
        ("GET", "/v1/items/", "no id in the path: use /v1/items/{id} with a recipe or document id"),
        ("DELETE", "/v1/items/", "no id in the path"),
        (
            "POST",
            "/v1/recipes/",
            "no route POST /v1/recipes/; drop the trailing slash: /v1/recipes",
        ),
        ("GET", "/v1/stats/", "no route GET /v1/stats/; drop the trailing slash: /v1/stats"),
        ("GET", "/v2/anything", "no route GET /v2/anything; see /docs for the API"),
    ],
)
def test_near_miss_paths_are_json_404s_not_redirects(
    writer: TestClient, method: str, path: str, detail: str
) -> None:
    r = writer.request(method, path, json={}, follow_redirects=False)
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "not_found" and r.json()["detail"].startswith(detail)


def test_malformed_json_is_400_naming_the_place(ro_client: TestClient) -> None:
    r = ro_client.post("/v1/search", content=b'{"query": "x",, }', headers=JSON)
    assert r.status_code == 400
    assert r.json() == {
        "error": "malformed_json",
        "detail": "malformed JSON at character 14: Expecting property name enclosed in double "
        "quotes",
    }


def test_body_that_is_not_utf8_is_400(ro_client: TestClient) -> None:
    r = ro_client.post("/v1/search", content=b'{"query": "caf\xe9"}', headers=JSON)
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
    assert "not UTF-8 (byte 0xe9 at position 14)" in r.json()["detail"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_not_sent_as_json_is_415(writer: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/v1/search", "/v1/recipes", "/v1/documents", "/v1/ingest/files"):
        r = writer.post(path, content=b'{"query": "drift"}', headers=headers)
        assert r.status_code == 415, (path, r.text)
        assert r.json()["error"] == "unsupported_media_type"
        assert "send Content-Type: application/json" in r.json()["detail"]
    # charset parameters and +json types are JSON
    for ok in ("application/json; charset=utf-8", "application/vnd.api+json"):
        r = writer.post("/v1/search", content=b'{"query": "drift"}', headers={"content-type": ok})
        assert r.status_code == 200, (ok, r.text)


def test_validation_lists_every_problem(writer: TestClient) -> None:
    body = recipe_body(title="x", area="astrology", metrics={"auc": [1], "f1": 0.5}, extra=1)
    del body["id"]
    r = writer.post("/v1/recipes", json=body)
    assert r.status_code == 422
    out = r.json()
    assert out["error"] == "invalid_request"
    assert out["detail"] == "id: Field required (and 4 more problems, see problems)"
    assert [p["loc"] for p in out["problems"]] == ["id", "title", "area", "metrics.auc", "extra"]
    auc = out["problems"][3]["msg"]
    assert auc == (
        "Input should be a valid string, a valid integer, a valid number or a valid boolean"
    )
    assert "constrained" not in r.text and "body" not in r.text
    one = writer.get("/v1/search", params={"q": "x", "k": 0}).json()
    assert one["detail"] == "k: Input should be greater than or equal to 1"
    assert one["problems"] == [{"loc": "k", "msg": "Input should be greater than or equal to 1"}]


def test_weird_ids_are_404_not_500(ro_client: TestClient) -> None:
    for item in ("%00", "a" * 5000, "url:http://x/%2F..%2F", "ä", "file:../../etc/passwd"):
        r = ro_client.get(f"/v1/items/{item}")
        assert r.status_code == 404, (item, r.text)
        assert r.json()["error"] == "not_found"


def test_cors_off_by_default_and_on_when_set(
    fake_kb: KnowledgeBase, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = {"Origin": "https://agent.example"}
    assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    monkeypatch.setenv("MLKB_CORS_ORIGINS", "https://agent.example")
    with TestClient(create_app(Settings(), kb=fake_kb), base_url=LOCAL) as c:
        r = c.get("/healthz", headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://agent.example"


def test_a_date_range_that_ends_before_it_starts(ro_client: TestClient) -> None:
    dates = {"published_from": "2024-05-01", "published_to": "2024-01-01"}
    for response in (
        ro_client.get("/v1/search", params={"q": "drift", **dates}),
        ro_client.post("/v1/search", json={"query": "drift", **dates}),
    ):
        assert response.status_code == 422, response.text
        assert "swap them" in response.json()["detail"]


def test_errors_name_the_fix_for_whoever_asked(writer: TestClient) -> None:
    """An API caller is told the route that fixes it, mlkb's own client the command."""
    recipe = writer.get("/v1/items/no-such-recipe").json()["detail"]
    assert recipe == (
        "no item with id 'no-such-recipe'; GET /v1/search finds ids "
        "(percent-encode any ? # % in the id)"
    )
    document = writer.get("/v1/items/doc:no-such-note").json()["detail"]
    assert "GET /v1/documents lists the stored documents" in document
    cli = writer.get("/v1/items/doc:no-such-note", headers={"X-Mlkb-Client": "cli"})
    assert cli.json()["detail"] == (
        "no item with id 'doc:no-such-note'; `mlkb docs` lists the stored documents"
    )
    first = writer.get("/v1/recipes", params={"limit": 1}).json()["items"][0]
    clash = writer.post("/v1/recipes", json={**first, "title": "Another one"})
    assert clash.status_code == 409
    assert clash.json()["detail"].endswith(f"replace it with PUT /v1/recipes/{first['id']}")


def test_a_key_the_server_lacks_is_the_servers_problem(
    writer: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a 400 telling the caller to export a variable on a machine it cannot reach."""
    r = writer.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(r, "tavily_api_key", None)
    missing = writer.post("/v1/ingest/web", json={"query": "drift"})
    assert missing.status_code == 503 and missing.json()["error"] == "config_error"
    assert missing.json()["detail"] == (
        "TAVILY_API_KEY is not set; this server has no key for the service: whoever runs it "
        "sets TAVILY_API_KEY and restarts it"
    )
