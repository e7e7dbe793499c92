"""Hugging Face model cards, by id or by a Hub search, as ``model_card`` Documents.

``huggingface_hub`` reads the model info (``/api/models/<id>``) and the card at that
commit (``/<id>/resolve/<sha>/README.md``) from ``HF_ENDPOINT``. The card's YAML
metadata (license, datasets, metrics, pipeline tag, base model) goes into the payload;
its markdown body is the text, chunked by headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ingest._http import UNRESOLVED, ItemFailed, Verdict, retry_after, with_retries
from ingest._text import make_document
from ingest.pipeline import Item
from ingest.report import Failure, IngestReport
from mlkb.errors import ConfigError, SourceError
from mlkb.schema import Kind
from mlkb.settings import Settings

NAME = "hf"
SERVICE = "the Hugging Face Hub"
_REPO_ID = re.compile(r"^[\w.-]{1,96}(/[\w.-]{1,96})?$")
CARD_KEYS = (
    "license",
    "datasets",
    "metrics",
    "pipeline_tag",
    "base_model",
    "language",
    "library_name",
    "tags",
    "model_name",
)


class Params(BaseModel):
    """``mlkb ingest hf MODEL_ID... | --search TEXT [--task T] [--library L] [--max N]``"""

    model_config = ConfigDict(extra="forbid")

    model_ids: list[str] = Field(default_factory=list)
    search: str | None = None
    task: str | None = None
    library: str | None = None
    max: int = Field(default=10, ge=1, le=500)

    @field_validator("model_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for repo_id in value:
            if not _REPO_ID.match(repo_id) or ".." in repo_id:
                raise ValueError(
                    f"'{repo_id}' is not a model id (like google-bert/bert-base-uncased)"
                )
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _one_of(self) -> Params:
        if bool(self.model_ids) == bool(self.search or self.task or self.library):
            raise ValueError(
                "give model ids, or --search/--task/--library, not both and not neither"
            )
        return self


def check(params: Params, settings: Settings) -> None:
    """Refuse to start when huggingface_hub is in offline mode (HF_TOKEN is optional)."""
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise ConfigError(
            "HF_HUB_OFFLINE is set, so the Hub cannot be reached",
            hints={
                "cli": "unset it (or set HF_HUB_OFFLINE=0) to ingest model cards",
                "api": "this server runs offline: whoever runs it unsets HF_HUB_OFFLINE and "
                "restarts it",
            },
        )


def fetch(params: Params, settings: Settings, report: IngestReport) -> Iterator[Item]:
    """The cards of the given models, or of the models a search finds."""
    from huggingface_hub import HfApi

    token = settings.hf_token.get_secret_value() if settings.hf_token else None
    api = HfApi(endpoint=settings.hf_endpoint.rstrip("/"), token=token)
    ids = params.model_ids or _search(api, params, settings)
    report.total = len(ids)
    for repo_id in ids:
        try:
            yield _card(api, repo_id, settings)
        except ItemFailed as exc:
            yield Failure(id_or_url=f"hf:{repo_id}", error=str(exc))


def _call(call: Any, settings: Settings, what: str) -> Any:
    return with_retries(
        call,
        settings=settings,
        service=SERVICE,
        what=what,
        classify=classify_hub,
        key_var="HF_TOKEN",
    )


def _search(api: Any, params: Params, settings: Settings) -> list[str]:
    """Model ids, most downloaded first: one GET of the Hub's ``/api/models``, the request
    ``HfApi.list_models`` makes, sent here so that MLKB_HTTP_TIMEOUT and MLKB_HTTP_RETRIES
    apply (``list_models`` takes no timeout and retries five times on its own)."""
    from huggingface_hub import get_session, hf_raise_for_status

    query = {
        "search": params.search or None,
        "pipeline_tag": params.task,
        "filter": params.library,
        "sort": "downloads",
        "limit": params.max,
    }

    def run() -> list[str]:
        response = get_session().get(
            f"{api.endpoint}/api/models",
            params={k: v for k, v in query.items() if v is not None},
            headers=_auth(api),
            timeout=settings.http_timeout,
        )
        hf_raise_for_status(response)
        return [str(model["id"]) for model in response.json()][: params.max]

    try:
        ids: list[str] = _call(run, settings, "the model search")
    except ItemFailed as exc:
        raise SourceError(f"{SERVICE} model search failed: {exc}") from None
    return ids


def _card(api: Any, repo_id: str, settings: Settings) -> Item:
    from huggingface_hub import ModelCard, get_session, hf_hub_url, hf_raise_for_status

    info = _call(lambda: api.model_info(repo_id, timeout=settings.http_timeout), settings, repo_id)
    url = hf_hub_url(repo_id, "README.md", revision=info.sha or "main", endpoint=api.endpoint)

    def readme() -> str:
        response = get_session().get(
            url, headers=_auth(api), timeout=settings.http_timeout, follow_redirects=True
        )
        hf_raise_for_status(response)
        return str(response.text)

    try:
        card = ModelCard(
            _call(readme, settings, f"{repo_id} README.md"), ignore_metadata_errors=True
        )
    except ItemFailed as exc:
        raise ItemFailed(f"no model card: {exc}") from None
    except ValueError as exc:
        raise ItemFailed(f"malformed model card: {exc}") from None
    data: dict[str, Any] = card.data.to_dict()  # type: ignore[no-untyped-call]
    meta: dict[str, Any] = {k: data[k] for k in CARD_KEYS if data.get(k) not in (None, [], "")}
    meta.setdefault("pipeline_tag", info.pipeline_tag)
    meta.setdefault("library_name", info.library_name)
    if isinstance(data.get("model-index"), list):
        meta["evaluated"] = [m.get("name") for m in data["model-index"] if isinstance(m, dict)]
    meta.update(
        sha=info.sha,
        downloads=info.downloads,
        likes=info.likes,
        last_modified=info.last_modified.isoformat() if info.last_modified else None,
        arxiv=[t.split(":", 1)[1] for t in info.tags or [] if t.startswith("arxiv:")],
    )
    tags = [t for t in (info.pipeline_tag, info.library_name, *_as_list(data.get("tags"))) if t]
    return make_document(
        id=f"hf:{repo_id}",
        kind=Kind.model_card,
        source=NAME,
        title=repo_id,
        url=f"{api.endpoint}/{repo_id}",
        authors=[info.author] if info.author else [],
        published=info.created_at,
        tags=list(dict.fromkeys(map(str, tags))),
        metadata={k: v for k, v in meta.items() if v not in (None, [], "")},
        text=card.text.strip(),
    )


def _auth(api: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {api.token}"} if api.token else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def classify_hub(exc: BaseException) -> Verdict | None:
    """Verdicts for huggingface_hub's exceptions (it speaks httpx2)."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status == 404:
            return Verdict("not found on the Hub (HTTP 404)", status=404)
        if status in (401, 403):  # the Hub answers so for private, gated and missing repos
            return Verdict(
                f"HTTP {status}: private, gated or missing; set HF_TOKEN if you have access",
                status=status,
            )
        return Verdict(
            f"HTTP {status}", status=status, retry_after=retry_after(exc.response.headers)
        )
    if isinstance(exc, httpx2.TransportError):
        text = str(exc).lower()
        if "refused" in text:
            reason = "connection refused"
        elif "name resolution" in text or "not known" in text or "nodename" in text:
            reason = UNRESOLVED
        else:
            reason = type(exc).__name__
        return Verdict(reason, unreachable=True)
    if isinstance(exc, ValueError):  # response.json() on a body that is not JSON
        return Verdict(f"malformed response ({str(exc)[:80]})")
    return None
