"""Turning what sources return into Documents: URL ids, HTML and PDF to markdown, titles."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from ingest.report import Failure, Skipped
from mlkb.schema import Document

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref_src)$")
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def normalize_url(url: str) -> str:
    """A canonical form of an http(s) URL: lower-case scheme and host, no default port,
    no fragment, no tracking parameters, sorted query, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k)
        )
    )
    return urlunsplit((scheme, host, quote(path, safe="/%:@!$&'()*+,;=-._~"), query, ""))


def url_id(url: str) -> str:
    """The document id of a web page: ``url:<normalized url>``."""
    return "url:" + re.sub(r"\s", "%20", normalize_url(url))


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def decode_text(raw: bytes) -> str:
    """The text of a file's bytes: UTF-8, UTF-16 with a byte-order mark, else Windows-1252
    (what older editors save); ValueError when the bytes are not text at all."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return _unix_lines(raw.decode(codec, errors="replace"))
    if b"\x00" in raw[:8192]:
        raise ValueError("binary content, not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    # Text has few control characters; decoded noise is full of them.
    if len(_CONTROL.findall(text[:8192])) > max(8, len(text[:8192]) // 100):
        raise ValueError("binary content, not text")
    return _unix_lines(text)


def _unix_lines(text: str) -> str:
    """Windows (CRLF) and old Mac (CR) line ends as newlines: stored chunks and shown
    passages carry no stray carriage returns."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def markdown_title(text: str) -> str | None:
    """The first level-1 heading of a markdown text."""
    match = _H1.search(text)
    return match.group(1).strip() if match else None


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (``---`` fenced, at the very top) and the body after it."""
    if not text.startswith("---"):
        return {}, text
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, re.S)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def html_to_markdown(html: str) -> tuple[str | None, str]:
    """The title and the main content of an HTML page, as markdown."""
    from bs4 import BeautifulSoup
    from markdownify import markdownify

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "nav", "footer", "header", "aside", "form"]):
        tag.decompose()
    main = soup.find("main") or soup.find("article") or soup.body or soup
    if not title and (h1 := main.find("h1")):
        title = h1.get_text(" ", strip=True)
    text = markdownify(str(main), heading_style="ATX", bullets="-", strip=["img"])
    return title or None, re.sub(r"\n{3,}", "\n\n", text).strip()


def make_document(**fields: Any) -> Document | Failure:
    """A Document, or a Failure naming what was wrong with the fetched item."""
    try:
        return Document(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        what = str(fields.get("id") or fields.get("url"))
        if where == "text":
            return Skipped(id_or_url=what, error="no text")
        return Failure(id_or_url=what, error=f"{where}: {err['msg']}")
