"""Server mode: the KnowledgeBase behaviour on the qdrant-client backend, and clear,
bounded start-up errors for a wrong host, a wrong key, or a server that is still starting.

The KnowledgeBase tests of ``tests/mlkb/test_kb.py`` run here again, unchanged, with
``MLKB_QDRANT_URL`` pointing at qdrant-client's local mode (the same client API as a
server); only the tests about the embedded store's file lock are left out.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from mlkb.errors import AuthError, StoreUnavailable
from mlkb.store.server import connect
from mlkb.transfer import export_store, import_store
from tests.mlkb import test_kb as kb_tests
from tests.reliability import harness as h

EMBEDDED_ONLY = {"test_a_second_opener_gets_a_clear_error", "test_lock_is_released_on_close"}
for _name in dir(kb_tests):
    if _name.startswith("test_") and _name not in EMBEDDED_ONLY:
        globals()[f"{_name}_on_server"] = getattr(kb_tests, _name)


@pytest.fixture
def fake_settings(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Settings:
    """The conftest's settings, on the server backend (used by fake_kb and empty_kb):
    in memory, or persisted where a test reopens the store."""
    persisted = "another_model" in request.node.name or "really" in request.node.name
    url = f"path:{isolated_home / 'qdrant'}" if persisted else ":memory:"
    monkeypatch.setenv("MLKB_EMBED_MODEL", "fake")
    monkeypatch.setenv("MLKB_QDRANT_URL", url)
    return Settings()


def test_the_backend_is_really_the_server(fake_kb: KnowledgeBase) -> None:
    stats = fake_kb.stats()
    assert stats["backend"] == "server" and stats["location"].startswith("path:")
    assert type(fake_kb.store).__name__ == "ServerStore"


def test_export_import_between_server_collections(
    fake_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    list(fake_kb.add_documents([kb_tests.make_document()]))
    with (tmp_path / "all.jsonl").open("w") as out:
        count = export_store(fake_kb, out, vectors=True)
    before = {p.id: p.payload for p in fake_kb.iter_points()}
    fake_kb.close()
    other = Settings(qdrant_url=":memory:", embed_model="fake", seed_on_first_use=False)
    with KnowledgeBase(other, embedder=FakeEmbedder()) as kb:
        report = import_store(kb, tmp_path / "all.jsonl")
        assert report.points == count and not report.reembedded
        assert {p.id: p.payload for p in kb.iter_points()} == before


# -- start-up errors ---------------------------------------------------------------------
class _Qdrant(BaseHTTPRequestHandler):
    """Answers ``GET /collections`` like a Qdrant server: 503 while "starting", then
    either 200 or the configured refusal."""

    starting = 0
    status = 200
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        if self.path == "/":  # qdrant-client's version check
            self._send(200, {"title": "qdrant - vector search engine", "version": "1.15.1"})
            return
        type(self).seen.append(self.headers.get("api-key", ""))
        if type(self).starting > 0:
            type(self).starting -= 1
            self._send(503, {"status": {"error": "starting"}, "time": 0})
        elif type(self).status != 200:
            self._send(type(self).status, {"status": {"error": "Invalid api-key"}, "time": 0})
        else:
            self._send(200, {"result": {"collections": []}, "status": "ok", "time": 0})

    def _send(self, code: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def qdrant() -> Iterator[tuple[str, type[_Qdrant]]]:
    handler = type("Handler", (_Qdrant,), {"seen": [], "starting": 0, "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(tmp_path: Path, **env: str) -> tuple[h.Result, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [h.PYTHON, "-c", h.MAIN, "stats"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=h.child_env(tmp_path / "home", MLKB_QDRANT_CONNECT_BACKOFF="0.05", **env),
        timeout=60,
    )
    return h.Result(proc.returncode, proc.stdout, proc.stderr), time.monotonic() - started


def test_wrong_host_is_one_line_exit_2_after_bounded_retries(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result, took = _cli(tmp_path, MLKB_QDRANT_URL=url, MLKB_QDRANT_CONNECT_ATTEMPTS="3")
    assert result.code == 2
    err = " ".join(result.err.split())
    assert f"cannot reach the Qdrant server at {url}" in err and "MLKB_QDRANT_URL" in err
    assert result.err.count("error:") == 1 and "Traceback" not in result.err
    assert took < 30


@pytest.mark.parametrize("status", [401, 403])
def test_wrong_key_is_one_line_exit_2_without_retrying(
    tmp_path: Path, qdrant: tuple[str, type[_Qdrant]], status: int
) -> None:
    url, handler = qdrant
    handler.status = status
    result, _ = _cli(tmp_path, MLKB_QDRANT_URL=url, MLKB_QDRANT_API_KEY="wrong-key-123")
    assert result.code == 2
    err = " ".join(result.err.split())
    assert f"refused the key ({status})" in err and "MLKB_QDRANT_API_KEY" in err
    assert "Traceback" not in result.err and "insecure" not in result.err
    assert handler.seen == ["wrong-key-123"]  # a refused key is not retried


def test_a_server_that_is_still_starting_is_retried(qdrant: tuple[str, type[_Qdrant]]) -> None:
    url, handler = qdrant
    handler.starting = 2
    client = connect(url, None, attempts=4, backoff=0.01)
    client.close()
    assert len(handler.seen) == 3
    handler.starting = 10
    with pytest.raises(StoreUnavailable, match="cannot reach"):
        connect(url, None, attempts=2, backoff=0.01)
    handler.starting, handler.status = 0, 401
    with pytest.raises(AuthError):
        connect(url, "k", attempts=3, backoff=0.01)
