"""The Host check against DNS rebinding: loopback binds answer loopback names only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.hosts import allowed_hosts, host_allowed, mcp_transport_security
from mlkb import KnowledgeBase, Settings

MCP_PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:8765", "127.0.0.1.nip.io"])
def test_loopback_server_refuses_a_foreign_host(ro_client: TestClient, host: str) -> None:
    for method, path, body in (
        ("GET", "/v1/search?q=drift", None),
        ("GET", "/healthz", None),
        ("POST", "/mcp", MCP_PING),
    ):
        r = ro_client.request(method, path, json=body, headers={"host": host, **MCP_HEADERS})
        assert r.status_code == 421, (path, r.text)
        assert r.json()["error"] == "misdirected_request"
        assert f"not to Host '{host}'" in r.json()["detail"] and "--host" in r.json()["detail"]


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8765", "127.0.0.1:1", "[::1]:65535"])
def test_loopback_server_answers_loopback_names(ro_client: TestClient, host: str) -> None:
    assert ro_client.get("/v1/search?q=drift", headers={"host": host}).status_code == 200
    r = ro_client.post("/mcp", json=MCP_PING, headers={"host": host, **MCP_HEADERS})
    assert r.status_code == 200 and r.json()["result"] == {}


def test_server_bound_to_all_addresses_answers_any_host(
    fake_settings: Settings, fake_kb: KnowledgeBase
) -> None:
    """REST and MCP alike: an agent in another container calls http://mlkb:8765/mcp."""
    with TestClient(create_app(fake_settings, kb=fake_kb, host="0.0.0.0")) as client:
        r = client.get("/v1/search?q=drift", headers={"host": "kb.internal:8765"})
        assert r.status_code == 200 and r.json()["hits"]
        r = client.post("/mcp", json=MCP_PING, headers={"host": "mlkb:8765", **MCP_HEADERS})
        assert r.status_code == 200 and r.json()["result"] == {}, r.text


def test_any_loopback_address_is_a_loopback_bind(
    fake_settings: Settings, fake_kb: KnowledgeBase
) -> None:
    app = create_app(fake_settings, kb=fake_kb, host="127.0.0.2")
    with TestClient(app, base_url="http://127.0.0.2:8765") as client:
        evil = client.get("/v1/search?q=drift", headers={"host": "evil.example.com"})
        assert evil.status_code == 421 and "127.0.0.2, not to Host" in evil.json()["detail"]
        assert client.get("/v1/search?q=drift").status_code == 200
        r = client.post("/mcp", json=MCP_PING, headers=MCP_HEADERS)
        assert r.status_code == 200 and r.json()["result"] == {}, r.text


def test_mcp_takes_the_cors_origins_and_refuses_others_in_json(
    fake_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLKB_CORS_ORIGINS", "https://agent.example")
    with TestClient(create_app(Settings(), kb=fake_kb), base_url="http://127.0.0.1") as client:
        for origin, status in (
            ("https://agent.example", 200),
            ("http://localhost:3000", 200),
            ("https://evil.example", 403),
        ):
            headers = {"Origin": origin, **MCP_HEADERS}
            r = client.post("/mcp", json=MCP_PING, headers=headers)
            assert r.status_code == status, (origin, r.text)
        assert r.json()["error"] == "forbidden" and "MLKB_CORS_ORIGINS" in r.json()["detail"]
        plain = client.post(
            "/mcp", content=b"{}", headers={"Content-Type": "text/plain", **MCP_HEADERS}
        )
        assert plain.status_code == 415 and plain.json()["error"] == "unsupported_media_type"


def test_one_decision_for_rest_and_mcp() -> None:
    patterns = allowed_hosts("127.0.0.1")
    assert patterns is not None and allowed_hosts("::1") == patterns
    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("10.0.0.5") is None
    assert not mcp_transport_security("0.0.0.0").enable_dns_rebinding_protection
    security = mcp_transport_security("localhost")
    assert security.enable_dns_rebinding_protection and security.allowed_hosts == patterns
    assert "http://localhost:*" in security.allowed_origins
    assert host_allowed("[::1]", patterns) and host_allowed("localhost:80", patterns)
    for foreign in ("localhost.evil.com", "localhost:", "localhost:x", "127.0.0.2:80", "::1"):
        assert not host_allowed(foreign, patterns), foreign
