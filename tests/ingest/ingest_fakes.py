"""A local HTTP server that answers like arXiv, the Hub, Firecrawl and Tavily, from the
recorded responses in ``tests/fixtures/``; and a tiny PDF writer for full-text tests.

Routes are scripted per test: each (method, path) gets a list of replies served in turn,
the last one repeating, so "429 then success" is ``[Reply(429, ...), Reply.file(...)]``.
``{{BASE}}`` in a recorded body becomes the server's own URL (where the real service
would name itself, e.g. PDF links and crawl pagination).
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mlkb.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(name: str) -> str:
    """The text of a recorded response."""
    return (FIXTURES / name).read_text(encoding="utf-8")


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    gate: threading.Event | None = None
    """When set, the answer waits until this event is set (a slow or stalled service)."""

    @classmethod
    def file(cls, name: str, status: int = 200, **headers: str) -> Reply:
        """A recorded response; its content type follows the file's extension."""
        types = {
            ".xml": "application/atom+xml; charset=utf-8",
            ".json": "application/json",
            ".md": "text/plain; charset=utf-8",
        }
        return cls(
            status,
            fixture(name),
            dict(headers),
            types.get(Path(name).suffix, "application/octet-stream"),
        )

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        """A JSON body."""
        return cls(status, json.dumps(data), dict(headers))


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body)


class FakeService:
    """A threaded HTTP server on 127.0.0.1 with a random port."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service._answer(self, "GET")

            def do_POST(self) -> None:
                service._answer(self, "POST")

            def do_HEAD(self) -> None:
                service._answer(self, "HEAD")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def route(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in turn (the last one repeats)."""
        self.routes[(method, path)] = list(replies)

    def requests(self, path: str | None = None) -> list[Seen]:
        """Requests received, optionally only those for ``path``."""
        return [s for s in self.seen if path is None or s.path == path]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.seen.append(
                Seen(method, parts.path, parse_qs(parts.query), dict(handler.headers.items()), body)
            )
            queue = self.routes.get((method, parts.path))
            if not queue:
                reply = Reply(404, json.dumps({"error": f"no route {method} {parts.path}"}))
            else:
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply.gate is not None:
            reply.gate.wait(30)
        data = reply.body.encode() if isinstance(reply.body, str) else reply.body
        data = data.replace(b"{{BASE}}", self.url.encode())
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(data)))
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a gated reply past its timeout)


def service_settings(base: str, **overrides: Any) -> Settings:
    """Settings with every service URL at ``base``, keys set, and quick retries."""
    values: dict[str, Any] = {
        "embed_model": "fake",
        "arxiv_api_url": f"{base}/api/query",
        "firecrawl_api_url": base,
        "tavily_api_url": base,
        "hf_endpoint": base,
        "firecrawl_api_key": "fc-test-key",
        "tavily_api_key": "tvly-test-key",
        "http_timeout": 5.0,
        "http_retries": 2,
        "retry_backoff": 0.01,
        "arxiv_delay": 0.0,
        "crawl_poll_interval": 0.0,
    }
    values.update(overrides)
    return Settings(**values)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make_pdf(title: str, pages: list[list[str]]) -> bytes:
    """A small, valid PDF: one Helvetica text line per entry, pages in order."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids: list[int] = []
    pages_id = len(objects) + 2 * len(pages) + 1
    for lines in pages:
        ops = [b"BT /F1 11 Tf 14 TL 56 780 Td"]
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*".encode("latin-1"))
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, font, content)
            )
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info = add(b"<< /Title (%s) /Producer (mlkb tests) >>" % title.encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)


_TOPICS = [
    "learning-rate warmup",
    "gradient clipping",
    "mixed precision",
    "LoRA rank",
    "label smoothing",
    "early stopping",
    "class imbalance",
    "data drift",
    "feature leakage",
    "batch size scaling",
    "weight decay",
    "checkpoint averaging",
]
_SENTENCES = [
    "We tuned {t} on a held-out split of {n} examples and kept the best of five seeds.",
    "Without {t} the validation loss diverged after roughly {n} steps.",
    "The effect of {t} was largest for the smallest models in the sweep.",
    "Logging the gradient norm every {n} steps made problems with {t} visible early.",
    "A common pitfall is changing {t} and the batch size at the same time.",
    "On the production traffic replay, {t} moved p95 latency by less than {n} ms.",
]


def write_notes(folder: Path, count: int, sections: int = 4) -> list[Path]:
    """``count`` markdown notes of a few hundred words each, deterministic."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        topic = _TOPICS[i % len(_TOPICS)]
        lines = [f"# Note {i}: {topic}", ""]
        for s in range(sections):
            lines += [f"## Experiment {s}", ""]
            lines += [
                _SENTENCES[(i + s + k) % len(_SENTENCES)].format(t=topic, n=100 + 7 * i + k)
                for k in range(24)
            ]
            lines.append("")
        path = folder / f"note-{i:04d}.md"
        path.write_text("\n".join(lines))
        paths.append(path)
    return paths
