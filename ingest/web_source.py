"""Web search results through Tavily, as ``guide`` Documents (source ``web``).

``tavily.TavilyClient`` talks to ``MLKB_TAVILY_API_URL`` with ``TAVILY_API_KEY`` over a
retrying session (429/5xx with backoff and ``Retry-After``, a timeout). Without
``extract`` a result's text is the snippet Tavily returns; with it, the full page content
from Tavily's extract endpoint (the snippet stays when a page cannot be extracted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ingest._http import Verdict, classify_requests, failure, required_key
from ingest._text import is_http_url, make_document, markdown_title, url_id
from ingest.pipeline import Item
from ingest.report import Failure, IngestReport
from mlkb.errors import SourceError
from mlkb.schema import Kind
from mlkb.settings import Settings

NAME = "web"
SERVICE = "Tavily"
KEY_VAR = "TAVILY_API_KEY"
MAX_EXTRACT = 20
"""Tavily extracts at most 20 URLs per request."""


class Params(BaseModel):
    """``mlkb ingest web "QUERY" [--max N] [--extract]``"""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=400)
    max: int = Field(default=5, ge=1, le=20)
    extract: bool = False


def check(params: Params, settings: Settings) -> None:
    """Tavily needs TAVILY_API_KEY."""
    required_key(settings.tavily_api_key, KEY_VAR, "https://tavily.com")


def fetch(params: Params, settings: Settings, report: IngestReport) -> Iterator[Item]:
    """The search results, with their full content when ``extract`` is set."""
    from tavily import TavilyClient

    from ingest._http import retry_session

    key = required_key(settings.tavily_api_key, KEY_VAR, "https://tavily.com")
    client = TavilyClient(
        api_key=key,
        api_base_url=settings.tavily_api_url.rstrip("/"),
        session=retry_session(settings),
    )
    found = _call(
        lambda: client.search(
            params.query,
            max_results=params.max,
            search_depth="basic",
            timeout=settings.http_timeout,
        ),
        "the search",
    )
    if not isinstance(found.get("results"), list):
        raise SourceError(
            f"{SERVICE} returned a malformed response for the search (no list of results); "
            "check MLKB_TAVILY_API_URL"
        )
    results = [r for r in found["results"] if isinstance(r, dict)]
    report.total = len(results)
    full: dict[str, dict[str, Any]] = {}
    if params.extract and results:
        urls = [r["url"] for r in results if is_http_url(str(r.get("url", "")))][:MAX_EXTRACT]
        extracted = _call(
            lambda: client.extract(urls, format="markdown", timeout=settings.http_timeout),
            "the extract",
        )
        full = {str(r.get("url")): r for r in extracted.get("results") or [] if isinstance(r, dict)}
    for rank, result in enumerate(results, start=1):
        yield _document(result, rank, params.query, full.get(str(result.get("url"))))


def _call(call: Any, what: str) -> dict[str, Any]:
    import requests
    from tavily.errors import (
        BadRequestError,
        ForbiddenError,
        InvalidAPIKeyError,
        UsageLimitExceededError,
    )
    from tavily.errors import TimeoutError as TavilyTimeout

    try:
        answer = call()
    except InvalidAPIKeyError:
        raise SourceError(f"{SERVICE} rejected {KEY_VAR} (HTTP 401); check the key") from None
    except ForbiddenError as exc:
        raise SourceError(f"{SERVICE} refused {what} (HTTP 403: {exc}); check {KEY_VAR}") from None
    except UsageLimitExceededError as exc:
        raise SourceError(
            f"{SERVICE} kept answering 429 (rate or usage limit) for {what} "
            f"after retries{': ' + str(exc) if str(exc) else ''}"
        ) from None
    except BadRequestError as exc:
        raise SourceError(f"{SERVICE} rejected {what} (HTTP 400: {exc})") from None
    except TavilyTimeout:
        raise SourceError(f"{SERVICE} timed out on {what}; try again later") from None
    except (requests.RequestException, ValueError) as exc:
        verdict = classify_requests(exc) or Verdict(f"malformed response ({str(exc)[:80]})")
        err = failure(verdict, service=SERVICE, what=what, key_var=KEY_VAR)
        raise (
            err
            if isinstance(err, SourceError)
            else SourceError(f"{SERVICE} failed on {what}: {err}")
        ) from None
    if not isinstance(answer, dict):
        raise SourceError(f"{SERVICE} returned a malformed response for {what} (not an object)")
    return answer


def _document(
    result: dict[str, Any], rank: int, query: str, extracted: dict[str, Any] | None
) -> Item:
    url = str(result.get("url") or "")
    if not is_http_url(url):
        return Failure(id_or_url=url or f"result {rank}", error="a result without a URL")
    text = str(
        (extracted or {}).get("raw_content")
        or result.get("raw_content")
        or result.get("content")
        or ""
    ).strip()
    title = str(result.get("title") or markdown_title(text) or url)
    published = None
    if result.get("published_date"):
        try:
            stamp = str(result["published_date"]).replace("Z", "+00:00")
            published = dt.datetime.fromisoformat(stamp)
        except ValueError:
            published = None
    return make_document(
        id=url_id(url),
        kind=Kind.guide,
        source=NAME,
        title=" ".join(title.split())[:500],
        url=url,
        published=published,
        metadata={
            "query": query,
            "rank": rank,
            "score": result.get("score"),
            "extracted": bool(extracted and extracted.get("raw_content")),
            "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        text=text,
    )
