"""Health, readiness, stats, metrics, OpenAPI and the docs page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mlkb import KnowledgeBase


def test_health_and_ready(ro_client: TestClient) -> None:
    assert ro_client.get("/healthz").json()["status"] == "ok"
    ready = ro_client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_readyz_is_503_when_the_store_is_gone(client: TestClient, fake_kb: KnowledgeBase) -> None:
    fake_kb.close()
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["error"] == "store_unavailable"


def test_stats_matches_the_store(ro_client: TestClient) -> None:
    body = ro_client.get("/v1/stats").json()
    kb = ro_client.app.state.kb  # type: ignore[attr-defined]
    assert body["recipes"] == kb.stats()["recipes"] > 0
    assert body["backend"] == "embedded" and body["model"] == "fake"


def test_metrics_count_requests_per_route_template(ro_client: TestClient) -> None:
    ro_client.get("/v1/items/no-such-thing")
    ro_client.get("/v1/items/another-one")
    ro_client.get("/v1/search", params={"q": "drift"})
    text = ro_client.get("/metrics").text
    items = 'method="GET",route="/v1/items/{item_id:path}",status="404"'
    assert f"mlkb_http_requests_total{{{items}}} 2.0" in text
    bucket = 'le="0.015",method="GET",route="/v1/search"'
    assert f"mlkb_http_request_duration_seconds_bucket{{{bucket}}}" in text
    assert "no-such-thing" not in text


def test_openapi_has_clean_operation_ids(ro_client: TestClient) -> None:
    spec = ro_client.get("/openapi.json").json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "search_get",
        "search_post",
        "similar",
        "get_item",
        "list_recipes",
        "create_recipe",
        "replace_recipe",
        "delete_recipe",
        "add_document",
        "start_ingest",
        "get_ingest_job",
        "stats",
    } <= ops
    assert "ApiKey" in spec["components"]["securitySchemes"]
    assert "/mcp" not in spec["paths"]
    assert "swagger" in ro_client.get("/docs").text.lower()


def test_docs_pages_load_their_scripts_from_this_server(ro_client: TestClient) -> None:
    """Offline (the tool's normal place) a page that loads Swagger UI from a CDN is blank."""
    for page, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = ro_client.get(page)
        assert html.status_code == 200 and "/openapi.json" in html.text
        assert "cdn." not in html.text and "googleapis" not in html.text, page
        assert f"/docs/assets/{script}" in html.text
        asset = ro_client.get(f"/docs/assets/{script}")
        assert asset.status_code == 200 and len(asset.content) > 100_000
        assert "javascript" in asset.headers["content-type"]
    assert ro_client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert ro_client.get("/docs/assets/../../../../etc/passwd").status_code == 404
