"""``mlkb serve`` as a real process: HTTP, the CLI going through it, concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from api_helpers import API_KEY, READ_KEY, free_port, recipe_body, running_server, server_env

from api.server import client_url, startup_notes
from mlkb import Settings


def cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlkb.cli", *args],
        env=server_env(home, **env),
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_real_server_reads_writes_and_announces(live_server: tuple[str, Path]) -> None:
    url, home = live_server
    announced = json.loads((home / "server.json").read_text())
    assert announced["url"] == url
    with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}) as http:
        assert http.get("/readyz").json()["status"] == "ready"
        created = http.post("/v1/recipes", json=recipe_body("served-recipe"))
        assert created.status_code == 201
        hits = http.get("/v1/search", params={"q": "loss spikes warmup fine-tuning"}).json()
        assert "served-recipe" in [h["id"] for h in hits["hits"]]
        assert http.delete("/v1/recipes/served-recipe").status_code == 204
        assert 'route="/v1/search"' in http.get("/metrics").text


def test_the_cli_client_passes_windows_and_filters(live_server: tuple[str, Path]) -> None:
    """What `mlkb mcp` asks through a running server reaches it whole."""
    from mlkb.remote import RemoteKnowledgeBase
    from mlkb.store.base import Filters

    url, home = live_server
    text = "# Windows\n\n" + "".join(f"Step {i}: warm up, then decay. " for i in range(300))
    note = {"id": "doc:windows", "title": "Windows", "text": text, "kind": "note"}
    assert httpx.post(f"{url}/v1/documents", json=note, headers={"X-API-Key": API_KEY}).is_success
    remote = RemoteKnowledgeBase(url, Settings(home=home))
    passage = remote.get("doc:windows", chunk=1, around=0)
    assert [c.position for c in passage.chunks] == [1]  # type: ignore[union-attr]
    near = remote.similar(
        "drift-psi-pricing", k=5, filters=Filters(tags=["Drift"], source=["seed"])
    )
    assert near.hits and all("drift" in h.tags and h.source == "seed" for h in near.hits)
    later = remote.similar("drift-psi-pricing", k=2, offset=3)
    assert later.offset == 3 and [h.id for h in later.hits] == [
        h.id for h in remote.similar("drift-psi-pricing", k=5).hits[3:]
    ]


def test_cli_goes_through_the_server_with_the_same_output(
    tmp_path: Path, seeded_template: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "r.yaml").write_text(json.dumps(recipe_body("cli-via-server")))
    with running_server(home, template=seeded_template) as url:
        note = {"title": "Served note", "text": "Checkpoint every 500 steps.", "kind": "note"}
        posted = httpx.post(f"{url}/v1/documents", json=note, headers={"X-API-Key": API_KEY})
        assert posted.status_code == 201, posted.text
        remote_docs = cli(home, "docs", "--json")
        remote_note = cli(home, "show", posted.json()["id"], "--json")
        assert remote_note.returncode == 0, remote_note.stderr
        # the store is held by the server; these would fail with StoreLocked if opened
        added = cli(home, "recipe", "add", str(tmp_path / "r.yaml"))
        assert added.returncode == 0, added.stderr
        assert "new" in added.stdout and "cli-via-server" in added.stdout
        remote_search = cli(home, "search", "loss spikes warmup", "--json", "-k", "5")
        page = ("search", "loss spikes warmup", "--json", "-k", "2", "--offset", "2")
        remote_page = cli(home, *page)
        remote_show = cli(home, "show", "cli-via-server", "--json")
        remote_similar = cli(home, "similar", "cli-via-server", "--json", "-k", "3")
        assert remote_search.returncode == remote_show.returncode == 0, remote_search.stderr
        missing = cli(home, "show", "no-such-recipe")
        assert missing.returncode == 1 and "no item with id" in missing.stderr
        assert "`mlkb search` finds ids" in missing.stderr  # the CLI's fix, not a route's
        wrong = cli(home, "rm", "cli-via-server", MLKB_API_KEY="k-not-the-servers-key")
        assert wrong.returncode == 2 and "MLKB_API_KEY" in wrong.stderr, wrong.stderr
        assert "is not the server's key" in wrong.stderr and "header" not in wrong.stderr
        locked = cli(home, "seed")  # local-only commands name the holder
        assert locked.returncode == 2 and "in use" in locked.stderr
    assert not (home / "server.json").exists()  # withdrawn at exit

    local_search = cli(home, "search", "loss spikes warmup", "--json", "-k", "5")
    local_page = cli(home, *page)
    local_show = cli(home, "show", "cli-via-server", "--json")
    local_similar = cli(home, "similar", "cli-via-server", "--json", "-k", "3")
    local_docs = cli(home, "docs", "--json")
    local_note = cli(home, "show", posted.json()["id"], "--json")

    def hits(out: str) -> list[tuple[str, float]]:
        return [(h["id"], h["score"]) for h in json.loads(out)["hits"]]

    assert hits(remote_search.stdout) == hits(local_search.stdout)
    assert hits(remote_page.stdout) == hits(local_page.stdout) == hits(local_search.stdout)[2:4]
    paged = [json.loads(out.stdout) for out in (remote_page, local_page)]
    assert [(p["offset"], p["next_offset"]) for p in paged] == [(2, 4), (2, 4)]
    assert hits(remote_similar.stdout) == hits(local_similar.stdout)
    assert json.loads(remote_show.stdout) == json.loads(local_show.stdout)
    assert json.loads(remote_docs.stdout) == json.loads(local_docs.stdout)
    assert json.loads(remote_note.stdout) == json.loads(local_note.stdout)
    assert json.loads(local_docs.stdout)["items"][0]["title"] == "Served note"

    with running_server(home):
        removed = cli(home, "recipe", "rm", "cli-via-server")
        assert removed.returncode == 0, removed.stderr
        assert cli(home, "show", "cli-via-server").returncode == 1


def test_cli_names_an_unreachable_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"http://127.0.0.1:{free_port()}"
    done = cli(home, "search", "drift", MLKB_API_URL=url)
    assert done.returncode == 2
    assert f"cannot reach mlkb serve at {url}" in done.stderr
    assert "Traceback" not in done.stderr


def test_concurrent_searches_and_writes(live_server: tuple[str, Path]) -> None:
    url, _ = live_server
    n_writes, n_searches = 24, 96

    def write(i: int) -> int:
        with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) as http:
            body = recipe_body(f"concurrent-{i}", title=f"Concurrent recipe number {i}")
            return http.post("/v1/recipes", json=body).status_code

    def search(i: int) -> int:
        with httpx.Client(base_url=url, timeout=30) as http:
            r = http.get("/v1/search", params={"q": f"drift monitoring {i}", "k": 5})
            return r.status_code if r.json()["hits"] else -1

    jobs = [(write, i) for i in range(n_writes)] + [(search, i) for i in range(n_searches)]
    jobs.sort(key=lambda j: j[1] % 7)  # interleave writes and searches
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda j: (j[0].__name__, j[0](j[1])), jobs))
    assert [c for c in codes if c[0] == "write"] == [("write", 201)] * n_writes
    assert all(code == 200 for name, code in codes if name == "search")
    with httpx.Client(base_url=url) as http:
        for i in range(n_writes):
            item = http.get(f"/v1/items/concurrent-{i}").json()
            assert item["recipe"]["title"] == f"Concurrent recipe number {i}"


def test_startup_notes_and_client_url(fake_settings: Settings) -> None:
    notes = startup_notes(fake_settings, "0.0.0.0")
    assert any("writes are disabled" in n for n in notes)
    assert any("MLKB_API_READ_KEY" in n for n in notes)
    keyed = Settings(api_key=API_KEY)
    assert startup_notes(keyed, "127.0.0.1") == []
    assert client_url("0.0.0.0", 8765) == "http://127.0.0.1:8765"
    assert client_url("::", 1) == "http://[::1]:1"


def test_real_server_refuses_a_foreign_host(live_server: tuple[str, Path]) -> None:
    url, _ = live_server
    port = url.rsplit(":", 1)[1]
    with httpx.Client(base_url=url) as http:
        r = http.get("/v1/stats", headers={"Host": f"evil.example.com:{port}"})
        assert r.status_code == 421 and r.json()["error"] == "misdirected_request"
        assert http.get("/v1/stats", headers={"Host": f"localhost:{port}"}).status_code == 200


def test_plain_get_on_mcp_is_a_405_not_an_endless_stream(live_server: tuple[str, Path]) -> None:
    url, _ = live_server
    r = httpx.get(f"{url}/mcp", headers={"Accept": "text/event-stream"}, timeout=5)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["error"] == "method_not_allowed" and "POST" in r.json()["detail"]


def test_a_read_refused_by_the_server_names_the_read_key(
    tmp_path: Path, seeded_template: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with running_server(home, template=seeded_template, MLKB_API_READ_KEY=READ_KEY):
        env = {k: v for k, v in server_env(home).items() if k != "MLKB_API_KEY"}

        def search(**extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "mlkb.cli", "search", "drift"],
                env={**env, **extra},
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )

        refused = search()
        assert refused.returncode == 2, refused.stderr
        assert "set MLKB_API_READ_KEY (or MLKB_API_KEY) to the server's read key" in refused.stderr
        allowed = search(MLKB_API_READ_KEY=READ_KEY)
        assert allowed.returncode == 0 and "drift" in allowed.stdout, allowed.stderr
