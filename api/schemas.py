"""Request and response bodies of the REST API.

They mirror the core's data model where the meaning is the same, but they are the API's
own contract: the store's payloads never leave the server, and the core may change its
internals without changing what clients see.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from mlkb.schema import (
    MAX_OFFSET,
    SLUG_RE,
    AddResult,
    AddStatus,
    Area,
    DocumentSummary,
    DocumentView,
    Hit,
    Kind,
    Recipe,
    SearchMode,
    SearchResult,
    check_date_range,
    normalize_text,
    sha256_text,
)

DOC_ID_RE = r"^(arxiv|hf|url|file|web|doc):\S+$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProblemOut(BaseModel):
    """One invalid field of a request."""

    loc: str = Field(description="Where: the field's dotted path.", examples=["metrics.auc"])
    msg: str = Field(description="What is wrong with it.", examples=["must be a finite number"])


class ErrorOut(BaseModel):
    """Every error: a stable machine code and a one-line message saying how to fix it."""

    error: str = Field(examples=["not_found"])
    detail: str = Field(examples=["no item with id 'x'; `mlkb search` finds ids"])
    problems: list[ProblemOut] | None = Field(
        default=None, description="Validation errors (422) only: every invalid field."
    )


WRITE_AUTH_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong X-API-Key."},
    403: {"model": ErrorOut, "description": "The server accepts no writes (no MLKB_API_KEY)."},
}
"""The answers every write route can give before it runs (for the API docs)."""
READ_AUTH_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "The server sets MLKB_API_READ_KEY; send it."},
}
"""The answer every read route gives without the read key, when the server sets one."""


# -- search -----------------------------------------------------------------------------
class SearchOptions(_In):
    """What a search takes besides the query, in a JSON body or as query parameters."""

    k: int = Field(default=10, ge=1, le=100, description="Number of hits.")
    offset: int = Field(
        default=0,
        ge=0,
        le=MAX_OFFSET,
        description="Hits to skip: the next page starts at the last answer's next_offset.",
    )
    kind: list[Kind] = Field(default_factory=list, description="Only these kinds.")
    area: list[Area] = Field(default_factory=list, description="Only recipes in these areas.")
    source: list[str] = Field(default_factory=list, description="Only these sources.")
    tag: list[str] = Field(default_factory=list, description="Only items with one of these tags.")
    published_from: dt.date | None = Field(default=None, description="Published on or after.")
    published_to: dt.date | None = Field(default=None, description="Published on or before.")
    mode: SearchMode = Field(default=SearchMode.hybrid, description="hybrid, dense or sparse.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> SearchOptions:
        check_date_range(self.published_from, self.published_to)
        return self


class SearchIn(SearchOptions):
    """A search: what you are trying to solve, and optional filters."""

    query: str = Field(description="The problem in your own words.", examples=["drift in pricing"])


class SearchParams(SearchOptions):
    """``GET /v1/search``'s query parameters: the body's fields, with the query as ``q``.
    An unknown parameter is refused, as in the body: a misspelt filter (``kinds``) would
    otherwise widen the answer without a word."""

    q: str = Field(description="The problem in your own words.", examples=["drift in pricing"])


class HitOut(BaseModel):
    """One hit: a recipe, or the best-matching chunk of a document."""

    id: str
    kind: Kind
    title: str
    score: float = Field(
        description="Orders the hits of this answer, best first. Its scale depends on the mode "
        "(hybrid fuses normalized dense and BM25 scores, dense is a cosine, sparse a BM25 "
        "sum) and on what the store holds, so compare scores within one answer, not across "
        "queries or modes, and do not use them as thresholds."
    )
    area: str | None = None
    source: str | None = None
    url: str | None = None
    snippet: str = ""
    section: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    chunk: int | None = None
    published: dt.date | None = Field(default=None, description="A document's publication day.")

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        """From the core's hit."""
        return cls.model_validate(hit.model_dump())


class SearchOut(BaseModel):
    """Ranked hits for a query, best first."""

    query: str
    hits: list[HitOut]
    took_ms: float = 0.0
    offset: int = Field(default=0, description="Hits skipped: the first hit's rank is offset + 1.")
    next_offset: int | None = Field(
        default=None, description="Send it as `offset` for the next page; null when none follows."
    )

    @classmethod
    def of(cls, result: SearchResult) -> SearchOut:
        """From the core's search result."""
        return cls(
            query=result.query,
            hits=[HitOut.of(h) for h in result.hits],
            took_ms=result.took_ms,
            offset=result.offset,
            next_offset=result.next_offset,
        )


# -- items ------------------------------------------------------------------------------
class RecipeOut(Recipe):
    """A recipe as stored: problem, context, solution, hyperparameters, metrics, pitfalls."""

    model_config = ConfigDict(extra="ignore")


SERVER_OWNED = frozenset({"version", "updated"})
"""Recipe fields the server sets; a client's values for them are ignored."""


class RecipeIn(Recipe):
    """A recipe to add (POST /v1/recipes). ``version`` and ``updated`` belong to the server:
    it ignores values sent for them, so a recipe read from the API can be sent back."""

    version: int | None = Field(  # type: ignore[assignment]
        default=None,
        description="Set by the server (1 when new, bumped on every change); ignored if sent.",
    )
    updated: dt.date | None = Field(  # type: ignore[assignment]
        default=None, description="Set by the server: the day of the last change; ignored if sent."
    )

    def to_recipe(self, **fields: Any) -> Recipe:
        """The core's recipe, without the server-owned fields (the store sets them)."""
        return Recipe.model_validate({**self.model_dump(exclude=set(SERVER_OWNED)), **fields})


class RecipeUpdate(RecipeIn):
    """A recipe replacing the one at its path; ``id`` may be left out."""

    id: Annotated[str, StringConstraints(pattern=SLUG_RE)] | None = None  # type: ignore[assignment]


class ChunkOut(BaseModel):
    """A piece of a document and where it sits in it."""

    position: int
    section: list[str] = Field(default_factory=list)
    text: str
    start: int
    end: int


class DocumentOut(BaseModel):
    """A stored document with its chunks."""

    id: str
    kind: Kind
    source: str
    title: str
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: dt.datetime | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    text: str = Field(
        default="", description="The document's text: its chunks joined without their overlaps."
    )
    truncated: bool = Field(default=False, description="True when `max_chars` cut the text.")
    chunks: list[ChunkOut] = Field(default_factory=list)

    @classmethod
    def of(
        cls, view: DocumentView, *, chunks: bool = True, max_chars: int | None = None
    ) -> DocumentOut:
        """From the core's document view; ``chunks=False`` leaves them out, ``max_chars``
        cuts the text."""
        data = view.model_dump()
        text = view.text
        data["truncated"] = max_chars is not None and len(text) > max_chars
        data["text"] = text[:max_chars] if max_chars is not None else text
        data["chunks"] = [ChunkOut.model_validate(c) for c in data["chunks"]] if chunks else []
        return cls.model_validate(data)


class RecipeItem(BaseModel):
    """GET /v1/items/{id} for a recipe."""

    type: Literal["recipe"] = "recipe"
    recipe: RecipeOut


class DocumentItem(BaseModel):
    """GET /v1/items/{id} for a document."""

    type: Literal["document"] = "document"
    document: DocumentOut


ItemOut = Annotated[RecipeItem | DocumentItem, Field(discriminator="type")]


class RecipePage(BaseModel):
    """A page of recipes sorted by area and id."""

    items: list[RecipeOut]
    total: int
    limit: int
    offset: int


class DocumentPage(BaseModel):
    """A page of documents sorted by source and id."""

    items: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class AddOut(BaseModel):
    """What happened to an added item: new, updated (version bumped) or unchanged."""

    id: str
    status: AddStatus
    chunks: int = 0

    @classmethod
    def of(cls, result: AddResult) -> AddOut:
        """From the core's add result."""
        return cls(id=result.id, status=result.status, chunks=result.chunks)


class DocumentIn(_In):
    """A text or markdown document to add. Without ``id`` it gets
    ``doc:<slug of the title>-<hash of the text>``: sending the same text again finds the
    same document, and different texts never overwrite each other."""

    id: Annotated[str, StringConstraints(pattern=DOC_ID_RE, max_length=500)] | None = Field(
        default=None,
        description="`<source>:<native id>`, e.g. `doc:my-notes` or `url:...`. Give one to "
        "replace a document's content later; without it, changed text is a new document.",
    )
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    text: str = Field(min_length=1, description="The content, markdown or plain text.")
    kind: Literal["paper", "model_card", "guide", "note"] = Field(
        default="note", description="What the document is."
    )
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] | None = None
    authors: list[str] = Field(default_factory=list)
    published: dt.datetime | None = None
    tags: list[str] = Field(default_factory=list)

    def doc_id(self) -> str:
        """The given id, or one derived from the title and the text."""
        if self.id:
            return self.id
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:80].strip("-")
        digest = sha256_text(normalize_text(self.text))[:12]
        return f"doc:{slug or 'untitled'}-{digest}"


# -- ingest -----------------------------------------------------------------------------
class IngestSource(StrEnum):
    """Where an ingest job reads from."""

    arxiv = "arxiv"
    hf = "hf"
    url = "url"
    web = "web"
    files = "files"


class JobStatus(StrEnum):
    """Where a job is in its life."""

    queued = "queued"
    running = "running"
    cancelling = "cancelling"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class JobOut(BaseModel):
    """An ingest job: its status, progress and, once done, its report."""

    job_id: str
    source: str
    status: JobStatus
    params: dict[str, Any] = Field(default_factory=dict)
    created: dt.datetime
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    progress: dict[str, Any] = Field(default_factory=dict)
    report: dict[str, Any] | None = None
    error: ErrorOut | None = None


class JobList(BaseModel):
    """The jobs a server ran or queued since it started (the last 100), newest first."""

    items: list[JobOut]
    total: int


class JobAccepted(BaseModel):
    """A job was queued; poll ``GET /v1/ingest/jobs/{job_id}``."""

    job_id: str
    status: JobStatus


# -- service ----------------------------------------------------------------------------
class StatsOut(BaseModel):
    """Counts by kind, area, source and tag, and how the store is built."""

    model_config = ConfigDict(extra="allow")

    points: int
    recipes: int
    documents: int
    chunks: int
    by_kind: dict[str, int]
    """Items (recipes and documents, not chunks) of each kind."""
    by_area: dict[str, int]
    """Recipes in each area."""
    by_source: dict[str, int]
    """Items (recipes and documents, not chunks) from each source."""
    by_tag: dict[str, int] = Field(default_factory=dict)
    """Items (recipes and documents, not chunks) with each tag: the values tag filters take."""
    model: str
    dim: int | None = None
    weights: str | None = None
    """``int8`` or ``fp32``: the weights the store's vectors come from."""
    backend: str
    location: str


class HealthOut(BaseModel):
    """Liveness or readiness."""

    status: str
    version: str
