"""arXiv papers: a search query or a list of ids, as ``paper`` Documents.

The ``arxiv`` client builds the query URL from ``MLKB_ARXIV_API_URL`` and keeps to
``MLKB_ARXIV_DELAY`` between requests (arXiv asks for one per 3 s); its session is a
retrying one (429/5xx with backoff and ``Retry-After``, a timeout). ``full_text`` also
downloads each PDF, paced the same way, and keeps its text by section.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ingest._http import ItemFailed, Pacer, classify_requests, failure, retry_session
from ingest._pdf import pdf_to_markdown
from ingest._text import make_document
from ingest.pipeline import Item
from ingest.report import Failure, IngestReport
from mlkb.errors import SourceError
from mlkb.schema import Kind
from mlkb.settings import Settings

NAME = "arxiv"
SERVICE = "arXiv"
_NEW_ID = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_ID = re.compile(r"^[a-z][a-z.-]+/\d{7}$")


class Params(BaseModel):
    """``mlkb ingest arxiv QUERY [--max N] [--since DATE] | --id ID ... [--full-text]``"""

    model_config = ConfigDict(extra="forbid")

    query: str | None = None
    ids: list[str] = Field(default_factory=list)
    max: int = Field(default=10, ge=1, le=2000)
    since: dt.date | None = None
    full_text: bool = False

    @field_validator("ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(arxiv_id(v) for v in value))

    @model_validator(mode="after")
    def _one_of(self) -> Params:
        if bool(self.query and self.query.strip()) == bool(self.ids):
            raise ValueError("give either a search query or --id, not both and not neither")
        return self


def arxiv_id(value: str) -> str:
    """The bare id (no version) from ``1706.03762v7``, ``arXiv:1706.03762`` or an abs/pdf URL."""
    raw = value.strip()
    raw = re.sub(r"^(?:https?://)?(?:export\.)?arxiv\.org/(?:abs|pdf)/", "", raw, flags=re.I)
    raw = re.sub(r"^arxiv:", "", raw, flags=re.I).removesuffix(".pdf")
    raw = re.sub(r"v\d+$", "", raw)
    if not (_NEW_ID.match(raw) or _OLD_ID.match(raw)):
        raise ValueError(f"'{value}' is not an arXiv id (like 1706.03762 or cs/0112017)")
    return raw


def check(params: Params, settings: Settings) -> None:
    """arXiv needs no key."""


def fetch(params: Params, settings: Settings, report: IngestReport) -> Iterator[Item]:
    """Papers matching the query (newest first with ``since``) or the given ids."""
    import arxiv

    session = retry_session(settings)
    client = arxiv.Client(
        page_size=min(params.max, 100), delay_seconds=settings.arxiv_delay, num_retries=0
    )
    client.query_url_format = settings.arxiv_api_url + "?{}"
    # The client builds its own requests.Session; give it ours (retries, timeout) and a
    # check that every page really is an Atom feed.
    session.hooks["response"].append(_atom_only)
    client._session = session
    pacer = Pacer(settings.arxiv_delay)

    if params.ids:
        report.total = len(params.ids)
        search = arxiv.Search(id_list=params.ids, max_results=len(params.ids))
    else:
        query = params.query or ""
        by = arxiv.SortCriterion.Relevance
        if params.since:
            query = f"({query}) AND submittedDate:[{params.since:%Y%m%d}0000 TO 300001010000]"
            by = arxiv.SortCriterion.SubmittedDate
        search = arxiv.Search(query=query, max_results=params.max, sort_by=by)
    papers: dict[str, Any] = {}
    for result in _results(client, search):
        try:
            paper_id = arxiv_id(result.get_short_id())
        except ValueError:  # an error entry (arxiv.org/api/errors#...)
            continue
        if params.since is None or result.published.date() >= params.since:
            papers.setdefault(paper_id, result)
    if not params.ids:
        report.total = len(papers)
    for paper_id, result in papers.items():
        yield _document(result, paper_id, params.full_text, session, pacer)
    found = set(papers)
    for missing in (i for i in params.ids if i not in found):
        yield Failure(id_or_url=f"arxiv:{missing}", error="not found on arXiv")


def _results(client: Any, search: Any) -> list[Any]:
    import arxiv
    import requests

    try:
        return list(client.results(search))
    except arxiv.HTTPError as exc:
        raise SourceError(
            f"{SERVICE} answered HTTP {exc.status} for {search.query or 'ids'} "
            "after retries; try again later"
        ) from None
    except requests.RequestException as exc:
        verdict = classify_requests(exc)
        if verdict is None:
            raise
        what = f"the search '{search.query}'" if search.query else "the papers by id"
        err = failure(verdict, service=SERVICE, what=what)
        raise (err if isinstance(err, SourceError) else SourceError(f"{SERVICE}: {err}")) from None


def _atom_only(response: Any, *args: Any, **kwargs: Any) -> None:
    """Response hook: a 200 from the query endpoint must be an Atom feed."""
    if response.status_code != 200 or "/pdf/" in response.url:
        return
    head = response.content.lstrip()[:400]
    if not (head.startswith(b"<?xml") or head.startswith(b"<feed")) or b"<feed" not in head:
        raise SourceError(
            f"{SERVICE} returned a malformed response (not an Atom feed) for "
            f"{response.url[:120]}; check MLKB_ARXIV_API_URL"
        )
    from lxml import etree

    try:
        etree.fromstring(response.content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise SourceError(
            f"{SERVICE} returned a malformed Atom feed ({exc}); try again later"
        ) from None


def _document(result: Any, paper_id: str, full_text: bool, session: Any, pacer: Pacer) -> Item:
    title = " ".join(result.title.split())
    abstract = " ".join(result.summary.split())
    body = f"# {title}\n\n## Abstract\n\n{abstract}\n"
    metadata: dict[str, Any] = {
        "arxiv_id": result.get_short_id(),
        "primary_category": result.primary_category,
        "categories": list(result.categories),
        "updated": result.updated.isoformat(),
        "pdf_url": result.pdf_url,
        "doi": result.doi,
        "journal_ref": result.journal_ref,
        "comment": result.comment,
        "links": [link.href for link in result.links],
        "full_text": False,
    }
    if full_text:
        if not result.pdf_url:
            return Failure(id_or_url=f"arxiv:{paper_id}", error="no PDF link in the feed")
        try:
            _, text = pdf_to_markdown(_download(result.pdf_url, session, pacer))
        except (ItemFailed, ValueError) as exc:
            return Failure(id_or_url=f"arxiv:{paper_id}", error=f"PDF: {exc}")
        text = re.sub(r"(?ims)^##\s+abstract\s*$.*?(?=^#)", "", text, count=1)
        body += "\n" + text
        metadata["full_text"] = True
    return make_document(
        id=f"arxiv:{paper_id}",
        kind=Kind.paper,
        source=NAME,
        title=title,
        url=result.entry_id,
        authors=[a.name for a in result.authors],
        published=result.published,
        tags=list(result.categories),
        metadata={k: v for k, v in metadata.items() if v not in (None, "", [])},
        text=body,
    )


def _read_timed_out(exc: BaseException) -> bool:
    """A read that timed out (connected, then no answer in time), also once the session's
    retries are spent, when requests reports it as a ConnectionError."""
    import requests
    from urllib3.exceptions import ReadTimeoutError

    if isinstance(exc, requests.ReadTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _download(url: str, session: Any, pacer: Pacer) -> bytes:
    import requests

    pacer.wait()
    try:
        response = session.get(url)
        response.raise_for_status()
    except requests.RequestException as exc:
        if _read_timed_out(exc):  # arXiv answered, this one PDF is slow: the rest go on
            raise ItemFailed(
                "the PDF did not arrive within MLKB_HTTP_TIMEOUT, after retries"
            ) from None
        verdict = classify_requests(exc)
        if verdict is None:
            raise
        raise failure(verdict, service=SERVICE, what=url) from None
    if not response.content.startswith(b"%PDF"):
        raise ItemFailed("the download is not a PDF")
    return bytes(response.content)
