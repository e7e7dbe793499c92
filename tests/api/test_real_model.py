"""The API and the MCP tools on the real model and the real embedded store."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from api_helpers import API_KEY, LOCAL, recipe_body
from fastapi.testclient import TestClient
from mcp import Client

from api import create_app
from api.mcp_tools import build_mcp
from mlkb import KnowledgeBase, Settings


@pytest.mark.slow
def test_semantic_search_and_store_on_the_real_model(real_kb: KnowledgeBase) -> None:
    settings = Settings(api_key=API_KEY)
    with TestClient(create_app(settings, kb=real_kb), base_url=LOCAL) as client:
        # no shared keywords with the wanted recipes: only meaning connects them
        r = client.get(
            "/v1/search",
            params={"q": "my model got worse after the inputs changed", "kind": "recipe", "k": 5},
        )
        assert r.status_code == 200
        assert any(h["area"] == "monitoring" for h in r.json()["hits"])
        body = recipe_body("real-model-warmup")
        assert (
            client.post("/v1/recipes", json=body, headers={"X-API-Key": API_KEY}).status_code == 201
        )
        hits = client.post(
            "/v1/search",
            json={
                "query": "when I fine-tune a transformer the loss jumps in the first steps",
                "k": 5,
            },
        ).json()
        assert "real-model-warmup" in [h["id"] for h in hits["hits"]]
        # the next page goes on where this one ended
        ten = client.get("/v1/search", params={"q": "drift in pricing", "k": 10}).json()
        page = client.get("/v1/search", params={"q": "drift in pricing", "k": 5, "offset": 5})
        assert page.json()["offset"] == 5 and page.json()["next_offset"] == 10
        assert [h["id"] for h in page.json()["hits"]] == [h["id"] for h in ten["hits"][5:]]

    async def agent() -> Any:
        async with Client(build_mcp(lambda: real_kb, settings)) as mcp:
            return await mcp.call_tool(
                "mlkb_find", {"query": "transformer fine-tuning loss spikes early", "k": 5}
            )

    found = anyio.run(agent).structured_content["hits"]
    assert "real-model-warmup" in [h["id"] for h in found]
