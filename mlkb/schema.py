"""The one data model: recipes, documents, chunks, search requests and hits."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mlkb.vocab import Area as Area
from mlkb.vocab import Kind as Kind
from mlkb.vocab import SearchMode as SearchMode
from mlkb.vocab import normalize_tags

SLUG_RE = r"^[a-z0-9](?:[a-z0-9-]{1,78}[a-z0-9])$"
MAX_OFFSET = 1000
"""Deepest page a search serves: past a thousand hits, a narrower query or a filter helps."""


def _slug(value: str) -> str:
    # The rule in words: a person fixing an id should not have to read a regex.
    if not re.match(SLUG_RE, value):
        raise PydanticCustomError(
            "slug",
            "must be 3-80 lowercase letters, digits and hyphens, starting and ending with a "
            "letter or digit (e.g. drift-psi-pricing)",
        )
    return value


Slug = Annotated[str, AfterValidator(_slug), WithJsonSchema({"type": "string", "pattern": SLUG_RE})]
Tags = Annotated[
    list[str],
    AfterValidator(normalize_tags),
    Field(description="Lowercase, hyphenated (data-drift); other spellings are stored so."),
]


def _finite(value: Any) -> Any:
    # NaN and infinities would be stored, then break JSON output and comparisons.
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "must be a finite number")
    return value


Scalar = Annotated[str | int | float | bool, BeforeValidator(_finite)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Context(_Strict):
    """Where a recipe applies."""

    domain: list[str] = Field(default_factory=list)
    modality: str | None = None
    scale: str | None = None
    constraints: list[str] = Field(default_factory=list)


class Reference(_Strict):
    """A link from a recipe into the literature."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    url: str | None = None
    arxiv_id: Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d{4,5}(v\d+)?$")] | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http(s) URL")
        return value


class Recipe(_Strict):
    """A curated problem and its proven solution."""

    id: Slug
    title: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    area: Area
    problem: Annotated[str, StringConstraints(min_length=10)]
    context: Context = Field(default_factory=Context)
    symptoms: list[str] = Field(default_factory=list)
    solution: Annotated[str, StringConstraints(min_length=10)]
    architecture: str | None = None
    hyperparameters: dict[str, Scalar] = Field(default_factory=dict)
    metrics: dict[str, Scalar] = Field(default_factory=dict)
    pitfalls: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    version: int = Field(default=1, ge=1)
    updated: dt.date = Field(default_factory=dt.date.today)

    def index_text(self) -> str:
        """What a searcher would type about this recipe: title, problem, symptoms, tags,
        and the opening of the solution."""
        opening = " ".join(self.solution.split())[:600]
        parts = [self.title, self.problem, *self.symptoms, " ".join(self.tags), opening]
        return "\n".join(p for p in parts if p)

    def content_hash(self) -> str:
        """Hash of the content, ignoring version and date (they change with the content)."""
        body = self.model_dump(mode="json", exclude={"version", "updated"})
        return sha256_text(repr(sorted(body.items())))


class Document(_Strict):
    """An ingested document: a paper, a model card, a guide or a note."""

    id: Annotated[str, StringConstraints(pattern=r"^(arxiv|hf|url|file|web|doc):\S+$")]
    kind: Kind
    source: str
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: dt.datetime | None = None
    tags: Tags = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    text: str = Field(min_length=1, repr=False)
    """The document's content as markdown or plain text."""

    @field_validator("kind")
    @classmethod
    def _not_recipe(cls, value: Kind) -> Kind:
        if value is Kind.recipe:
            raise ValueError("documents cannot have kind 'recipe'; add recipes as recipes")
        return value

    def content_hash(self) -> str:
        """sha256 of the normalized text plus the metadata that is indexed."""
        head = f"{self.title}\n{self.kind}\n{self.url}\n{sorted(self.tags)}\n"
        return sha256_text(head + normalize_text(self.text))


class Chunk(BaseModel):
    """A piece of a document with its provenance."""

    doc_id: str
    position: int
    section: list[str]
    text: str
    start: int
    end: int


class SearchRequest(_Strict):
    """A search: the query and its filters."""

    query: str
    k: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    kind: list[Kind] = Field(default_factory=list)
    area: list[Area] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    tag: Tags = Field(default_factory=list)
    published_from: dt.date | None = None
    published_to: dt.date | None = None
    mode: SearchMode = SearchMode.hybrid

    @model_validator(mode="after")
    def _dates_in_order(self) -> SearchRequest:
        check_date_range(self.published_from, self.published_to)
        return self


def check_date_range(start: dt.date | None, end: dt.date | None) -> None:
    """ValueError when a search's date range ends before it starts (it could find nothing)."""
    if start and end and start > end:
        raise ValueError(f"published_from ({start}) is after published_to ({end}); swap them")


class Hit(BaseModel):
    """One search result: a recipe, or a document's best chunk."""

    id: str
    kind: Kind
    title: str
    score: float
    area: str | None = None
    source: str | None = None
    url: str | None = None
    snippet: str = ""
    section: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    chunk: int | None = None
    published: dt.date | None = None


class SearchResult(BaseModel):
    """Hits for a query and the time it took."""

    query: str
    hits: list[Hit]
    took_ms: float = 0.0
    offset: int = 0
    """Hits skipped before the first of ``hits`` (the rank of the first is offset + 1)."""
    next_offset: int | None = None
    """The offset of the next page; None when no hit follows."""


class AddStatus(StrEnum):
    """What happened to one item on add."""

    new = "new"
    updated = "updated"
    unchanged = "unchanged"


class AddResult(BaseModel):
    """The outcome of adding one recipe or document."""

    id: str
    status: AddStatus
    chunks: int = 0


class DocumentView(BaseModel):
    """A stored document, reassembled from its chunks."""

    id: str
    kind: Kind
    source: str
    title: str
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: dt.datetime | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    chunks: list[Chunk] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The document's text, chunks joined without their overlaps. Only whitespace lies
        between chunks; a paragraph break stands in for it."""
        out: list[str] = []
        end = 0
        for c in sorted(self.chunks, key=lambda c: c.start):
            if c.end <= end:
                continue
            if out and c.start > end:
                out.append("\n\n")
            out.append(c.text[max(0, end - c.start) :])
            end = c.end
        return "".join(out)


class DocumentSummary(BaseModel):
    """A stored document as a listing shows it: what it is, not its text."""

    id: str
    kind: Kind
    source: str
    title: str
    url: str | None = None
    published: dt.datetime | None = None
    tags: list[str] = Field(default_factory=list)
    chunks: int


Item = Recipe | DocumentView
ItemType = Literal["recipe", "document"]


def normalize_text(text: str) -> str:
    """Unicode-normalize and collapse whitespace, so cosmetic changes keep the same hash."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def sha256_text(text: str) -> str:
    """Hex sha256 of a string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
