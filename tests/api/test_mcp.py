"""MCP tools through the MCP client: in process, over streamable HTTP and over stdio."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2
from api_helpers import API_KEY, recipe_body, server_env
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from api.mcp_tools import build_mcp
from mlkb import KnowledgeBase, Settings
from tests.stores import copy_store

TOOLS = {"mlkb_find", "mlkb_similar", "mlkb_get", "mlkb_store_recipe"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def _agent_session(client: Client) -> dict[str, Any]:
    """What an agent does: list tools, find, read, look for similar, store, read back."""
    out: dict[str, Any] = {}
    tools = (await client.list_tools()).tools
    out["tools"] = {t.name: t for t in tools}
    found = await client.call_tool(
        "mlkb_find", {"query": "data drift monitoring", "k": 3, "kind": ["recipe"]}
    )
    out["find"] = found
    out["find_filtered"] = await client.call_tool(
        "mlkb_find", {"query": "drift", "k": 2, "source": ["seed"], "mode": "sparse"}
    )
    out["find_nothing"] = await client.call_tool("mlkb_find", {"query": "drift", "source": ["x"]})
    out["find_next"] = await client.call_tool(
        "mlkb_find", {"query": "data drift monitoring", "k": 3, "kind": ["recipe"], "offset": 2}
    )
    first = found.structured_content["hits"][0]["id"] if found.structured_content else None
    out["get"] = await client.call_tool("mlkb_get", {"id": first})
    out["similar"] = await client.call_tool("mlkb_similar", {"id": first, "k": 2})
    out["similar_next"] = await client.call_tool("mlkb_similar", {"id": first, "k": 1, "offset": 1})
    out["store"] = await client.call_tool(
        "mlkb_store_recipe", {"recipe": recipe_body("mcp-stored")}
    )
    out["readback"] = await client.call_tool("mlkb_get", {"id": "mcp-stored"})
    out["missing"] = await client.call_tool("mlkb_get", {"id": "no-such-recipe"})
    taken = {**recipe_body("mcp-stored"), "title": "Another recipe under a taken id"}
    out["taken"] = await client.call_tool("mlkb_store_recipe", {"recipe": taken})
    out["similar_area"] = await client.call_tool(
        "mlkb_similar", {"id": first, "k": 3, "area": ["monitoring"], "source": ["seed"]}
    )
    out["invalid"] = await client.call_tool(
        "mlkb_store_recipe", {"recipe": recipe_body("Not A Slug")}
    )
    out["dates_swapped"] = await client.call_tool(
        "mlkb_find",
        {"query": "drift", "published_from": "2024-05-01", "published_to": "2024-01-01"},
    )
    out["bad_args"] = await client.call_tool(
        "mlkb_find", {"query": "drift", "k": 500, "kind": ["recipes"]}
    )
    out["unknown_arg"] = await client.call_tool(
        "mlkb_find", {"query": "drift", "kinds": ["paper"], "bogus": 1}
    )
    out["short_text"] = await client.call_tool("mlkb_get", {"id": first, "max_chars": 40})
    return out


def _check_session(out: dict[str, Any], *, stored: bool = True) -> None:
    assert set(out["tools"]) == TOOLS
    assert "mlkb_get" in (out["tools"]["mlkb_find"].description or "")
    assert out["tools"]["mlkb_find"].annotations.read_only_hint is True
    hits = out["find"].structured_content["hits"]
    assert not out["find"].is_error and len(hits) == 3 and all(h["kind"] == "recipe" for h in hits)
    filtered = out["find_filtered"].structured_content["hits"]
    assert len(filtered) == 2 and all(h["source"] == "seed" for h in filtered)
    assert out["find_nothing"].structured_content["hits"] == []
    following = out["find_next"].structured_content
    assert following["offset"] == 2 and following["next_offset"] == 5
    assert following["hits"][0]["id"] == hits[2]["id"]  # the page starts at the third hit
    assert out["get"].structured_content["type"] == "recipe"
    assert out["get"].structured_content["recipe"]["solution"]
    similar = out["similar"].structured_content["hits"]
    assert len(similar) == 2 and hits[0]["id"] not in [h["id"] for h in similar]
    after = out["similar_next"].structured_content
    assert after["offset"] == 1 and [h["id"] for h in after["hits"]] == [similar[1]["id"]]
    if stored:
        assert out["store"].structured_content == {"id": "mcp-stored", "status": "new", "chunks": 0}
        assert out["readback"].structured_content["recipe"]["id"] == "mcp-stored"
    assert out["missing"].is_error and "not_found" in out["missing"].content[0].text
    assert "mlkb_find" in out["missing"].content[0].text  # the tool's fix, not the CLI's
    assert "`mlkb" not in out["missing"].content[0].text
    if stored:
        assert out["taken"].is_error and "replace=true" in out["taken"].content[0].text
    assert out["tools"]["mlkb_store_recipe"].annotations.destructive_hint is True
    near = out["similar_area"].structured_content["hits"]
    assert near and all(h["area"] == "monitoring" and h["source"] == "seed" for h in near)
    assert out["invalid"].is_error and "id" in out["invalid"].content[0].text
    swapped = out["dates_swapped"]
    assert swapped.is_error and "invalid_query" in swapped.content[0].text
    assert "swap them" in swapped.content[0].text
    bad = out["bad_args"].content[0].text
    assert out["bad_args"].is_error and bad.startswith("invalid_arguments: ")
    assert "k: Input should be less than or equal to 100" in bad and "kind.0: " in bad
    assert "\n" not in bad and "errors.pydantic.dev" not in bad
    unknown = out["unknown_arg"].content[0].text
    assert out["unknown_arg"].is_error and unknown == (
        "invalid_arguments: kinds: is not an argument of this tool; did you mean 'kind'?; "
        "bogus: is not an argument of this tool; it takes "
        + ", ".join(sorted(out["tools"]["mlkb_find"].input_schema["properties"]))
    )
    assert not out["short_text"].is_error  # as short as REST allows


def test_tools_in_process(fake_kb: KnowledgeBase, fake_settings: Settings) -> None:
    server = build_mcp(lambda: fake_kb, fake_settings)

    async def main() -> dict[str, Any]:
        async with Client(server) as client:
            return await _agent_session(client)

    _check_session(anyio.run(main))


def test_get_document_is_cut_at_max_chars(fake_kb: KnowledgeBase, fake_settings: Settings) -> None:
    from mlkb import Document, Kind

    fake_kb.add_document(
        Document(id="doc:long", kind=Kind.note, source="doc", title="Long", text="word " * 3000)
    )
    server = build_mcp(lambda: fake_kb, fake_settings)

    async def main() -> Any:
        async with Client(server) as client:
            whole = await client.call_tool("mlkb_get", {"id": "doc:long", "max_chars": 1000})
            passage = await client.call_tool("mlkb_get", {"id": "doc:long", "chunk": 2})
            beyond = await client.call_tool("mlkb_get", {"id": "doc:long", "chunk": 999})
            return whole, passage, beyond

    whole, passage, beyond = anyio.run(main)
    doc = whole.structured_content["document"]
    assert doc["truncated"] is True and len(doc["text"]) == 1000 and doc["chunks"] is None
    window = passage.structured_content["document"]
    assert window["chunks"] == [1, 2, 3] and 0 < len(window["text"]) < len("word " * 3000)
    assert beyond.is_error and "has no chunk 999; its chunks are 0-" in beyond.content[0].text


def test_tools_over_streamable_http(live_server: tuple[str, Path]) -> None:
    url, _ = live_server

    async def main() -> tuple[dict[str, Any], Any]:
        async with (
            httpx2.AsyncClient(headers={"X-API-Key": API_KEY}) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            out = await _agent_session(client)
        async with Client(f"{url}/mcp") as keyless:  # reads work, writes need the key
            denied = await keyless.call_tool(
                "mlkb_store_recipe", {"recipe": recipe_body("mcp-denied")}
            )
        return out, denied

    out, denied = anyio.run(main)
    _check_session(out)
    assert denied.is_error and "unauthorized" in denied.content[0].text
    assert httpx2.get(f"{url}/v1/items/mcp-denied").status_code == 404
    assert httpx2.get(f"{url}/v1/items/mcp-stored").status_code == 200


def test_tools_over_stdio(tmp_path: Path, seeded_template: Path) -> None:
    home = tmp_path / "home"
    copy_store(seeded_template, home / "stores" / "mlkb")
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mlkb.cli", "mcp"], env=server_env(home), cwd=tmp_path
    )

    async def main() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=60) as client:
            return await _agent_session(client)

    _check_session(anyio.run(main))
    # stored by the stdio server into the local store
    kb = KnowledgeBase(Settings(home=home, embed_model="fake"), seed=False)
    try:
        assert kb.get("mcp-stored").id == "mcp-stored"
    finally:
        kb.close()


def test_store_recipe_rejects_non_finite_numbers(client: TestClient) -> None:
    """The JSON text an agent sends may hold NaN; the tool fails naming the field."""
    recipe = json.dumps(recipe_body("mcp-nan"))[:-1] + ', "metrics": {"auc": NaN}}'
    call = (
        '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": '
        f'{{"name": "mlkb_store_recipe", "arguments": {{"recipe": {recipe}}}}}}}'
    )
    headers = {**MCP_HEADERS, "Content-Type": "application/json", "X-API-Key": API_KEY}
    r = client.post("/mcp", content=call, headers=headers)
    assert r.status_code == 200
    result = r.json()["result"]
    assert result["isError"] is True
    assert "recipe.metrics.auc" in result["content"][0]["text"]
    assert "must be a finite number" in result["content"][0]["text"]
    assert client.get("/v1/items/mcp-nan").status_code == 404


def test_mcp_answers_only_post(client: TestClient) -> None:
    for method in ("GET", "DELETE", "PUT"):
        r = client.request(method, "/mcp", headers=MCP_HEADERS)
        assert r.status_code == 405 and r.headers["allow"] == "POST"
        assert r.json()["error"] == "method_not_allowed"


def test_store_recipe_ignores_server_owned_fields(
    fake_kb: KnowledgeBase, fake_settings: Settings
) -> None:
    server = build_mcp(lambda: fake_kb, fake_settings)
    body = recipe_body("mcp-owned", version=999, updated="1999-01-01")

    async def main() -> Any:
        async with Client(server) as client:
            return await client.call_tool("mlkb_store_recipe", {"recipe": body})

    assert anyio.run(main).structured_content["status"] == "new"
    stored = fake_kb.get("mcp-owned")
    assert stored.version == 1 and str(stored.updated) != "1999-01-01"
