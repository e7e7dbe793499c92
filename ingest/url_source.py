"""Web pages through Firecrawl (v2 scrape, or crawl start + status), as ``guide`` Documents.

``firecrawl.Firecrawl`` talks to ``MLKB_FIRECRAWL_API_URL`` with ``FIRECRAWL_API_KEY``.
It retries only 502s itself, so each call is wrapped in the shared retry helper, which
also honours ``Retry-After`` on a 429.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest._http import (
    ItemFailed,
    Verdict,
    classify_requests,
    required_key,
    retry_after,
    with_retries,
)
from ingest._text import is_http_url, make_document, markdown_title, url_id
from ingest.pipeline import Item
from ingest.report import Failure, IngestReport
from mlkb.errors import SourceError
from mlkb.schema import Kind
from mlkb.settings import Settings

NAME = "url"
SERVICE = "Firecrawl"
KEY_VAR = "FIRECRAWL_API_KEY"


class Params(BaseModel):
    """``mlkb ingest url URL... [--crawl --limit N --depth D]``"""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(min_length=1)
    crawl: bool = False
    limit: int = Field(default=10, ge=1, le=10_000)
    depth: int | None = Field(default=None, ge=0, le=20)

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not is_http_url(url):
                raise ValueError(f"'{url}' is not an http(s) URL")
        return list(dict.fromkeys(u.strip() for u in value))


def check(params: Params, settings: Settings) -> None:
    """Firecrawl needs FIRECRAWL_API_KEY."""
    required_key(settings.firecrawl_api_key, KEY_VAR, "https://firecrawl.dev")


def fetch(params: Params, settings: Settings, report: IngestReport) -> Iterator[Item]:
    """Each URL scraped, or each site crawled, as markdown pages."""
    from firecrawl import Firecrawl

    key = required_key(settings.firecrawl_api_key, KEY_VAR, "https://firecrawl.dev")
    client = Firecrawl(
        api_key=key,
        api_url=settings.firecrawl_api_url.rstrip("/"),
        timeout=settings.http_timeout,
        max_retries=1,
    )
    if not params.crawl:
        report.total = len(params.urls)
        for url in params.urls:
            try:
                page = _call(
                    lambda u=url: client.scrape(u, formats=["markdown"], only_main_content=True),
                    settings,
                    url,
                )
            except ItemFailed as exc:
                yield Failure(id_or_url=url, error=str(exc))
                continue
            yield page_document(page, url, NAME)
        return
    for url in params.urls:
        yield from _crawl(client, url, params, settings)


def _crawl(client: Any, url: str, params: Params, settings: Settings) -> Iterator[Item]:
    from firecrawl.v2.types import PaginationConfig, ScrapeOptions

    try:
        job = _call(
            lambda: client.start_crawl(
                url,
                limit=params.limit,
                max_discovery_depth=params.depth,
                scrape_options=ScrapeOptions(formats=["markdown"], only_main_content=True),
            ),
            settings,
            url,
        )
        deadline = time.monotonic() + settings.crawl_timeout
        once = PaginationConfig(auto_paginate=False)
        status = _call(lambda: client.get_crawl_status(job.id, once), settings, url)
        while status.status == "scraping":
            if time.monotonic() > deadline:
                raise ItemFailed(
                    f"the crawl {job.id} did not finish in "
                    f"{settings.crawl_timeout:.0f} s (MLKB_CRAWL_TIMEOUT)"
                )
            time.sleep(settings.crawl_poll_interval)
            status = _call(lambda: client.get_crawl_status(job.id, once), settings, url)
        if status.status != "completed":
            raise ItemFailed(f"the crawl {job.id} ended as {status.status}")
        status = _call(lambda: client.get_crawl_status(job.id), settings, url)
    except ItemFailed as exc:
        yield Failure(id_or_url=url, error=f"crawl: {exc}")
        return
    for page in status.data:
        yield page_document(page, url, NAME)


def _call(call: Any, settings: Settings, what: str) -> Any:
    return with_retries(
        call,
        settings=settings,
        service=SERVICE,
        what=what,
        classify=classify_firecrawl,
        key_var=KEY_VAR,
    )


def page_document(page: Any, requested: str, source: str) -> Item:
    """A Firecrawl v2 document (scrape or crawl page) as a guide Document."""
    meta = page.metadata_typed
    url = meta.source_url or meta.url or requested
    if meta.status_code is not None and meta.status_code >= 400:
        return Failure(id_or_url=url, error=f"the page answered HTTP {meta.status_code}")
    text = (page.markdown or "").strip()
    title = meta.title or meta.og_title or markdown_title(text) or url
    published = _date(meta.published_time or meta.modified_time)
    extra = meta.model_dump(exclude_none=True)
    return make_document(
        id=url_id(url),
        kind=Kind.guide,
        source=source,
        title=" ".join(str(title).split())[:500],
        url=url,
        published=published,
        tags=[t.strip() for t in _keywords(meta.keywords)][:20],
        metadata={
            "crawled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "description": meta.description,
            "language": meta.language,
            "status_code": meta.status_code,
            "site": meta.og_site_name,
            "scrape_id": extra.get("scrape_id") or extra.get("scrapeId"),
        },
        text=text,
    )


def _keywords(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(k) for k in items if str(k).strip()]


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def classify_firecrawl(exc: BaseException) -> Verdict | None:
    """Verdicts for firecrawl-py's exceptions (and the requests ones it lets through)."""
    from firecrawl.v2.utils.error_handler import FirecrawlError

    if isinstance(exc, FirecrawlError):
        response = getattr(exc, "response", None)
        status = exc.status_code or (response.status_code if response is not None else None)
        headers = response.headers if response is not None else None
        detail = str(exc).splitlines()[0][:160]
        detail = f"HTTP {status}: {detail}" if status else detail
        return Verdict(
            detail, status=status, retry_after=retry_after(headers), auth=status in (401, 402)
        )
    if isinstance(exc, SourceError):
        return None
    if isinstance(exc, ValueError) and not isinstance(exc, ItemFailed):
        # response.json() on a body that is not JSON, or a response the SDK cannot model
        return classify_requests(exc) or Verdict(f"malformed response ({str(exc)[:100]})")
    return classify_requests(exc)
