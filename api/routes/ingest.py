"""``/v1/ingest``: start ingest jobs and follow them."""

from __future__ import annotations

import os
import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.body import JsonBodyRoute
from api.deps import JobsDep, ReadAccess, SettingsDep, WriteAccess
from api.errors import FilesOutsideRoot
from api.schemas import (
    READ_AUTH_ERRORS,
    WRITE_AUTH_ERRORS,
    ErrorOut,
    IngestSource,
    JobAccepted,
    JobList,
    JobOut,
    JobStatus,
)
from mlkb.errors import InputError, NotFound
from mlkb.settings import Settings

router = APIRouter(prefix="/v1/ingest", tags=["ingest"], route_class=JsonBodyRoute)

PARAMS_DOC = (
    "The source's parameters as JSON fields, named like the `mlkb ingest <source>` options: "
    "arxiv `query`, `max`, `since`, `full_text`, or `ids`; "
    "hf `model_ids`, or `search`, `task`, `library`, `max`; "
    "url `urls`, `crawl`, `limit`, `depth`; web `query`, `max`, `extract`; "
    "files `paths`, `root`, `prune` (paths on the server, below its MLKB_FILES_ROOT; unset, the "
    "server ingests no files). Other fields, or values of the wrong type, are a 422."
)


def _params_schemas() -> dict[str, Any]:
    """Each source's parameters as JSON Schema, for the API docs; the route checks them
    against the source named in the path."""
    import ingest as wing

    schemas = []
    for name, spec in wing.SOURCES.items():
        schema = spec.params.model_json_schema()
        schema["properties"].pop("within", None)  # the server sets it (MLKB_FILES_ROOT)
        schemas.append({**schema, "title": f"{name} parameters"})
    return {"anyOf": [*schemas, {"type": "null"}]}


PARAMS_EXAMPLES = {
    "arxiv search": {"value": {"query": "drift detection", "max": 10}},
    "arxiv ids": {"value": {"ids": ["1706.03762"]}},
    "url": {"value": {"urls": ["https://example.org/guide"]}},
    "files": {"value": {"paths": ["notes/"], "root": "/data"}},
}


@router.post(
    "/{source}",
    response_model=JobAccepted,
    status_code=202,
    dependencies=[WriteAccess],
    responses={
        400: {"model": ErrorOut, "description": "Files that cannot be read."},
        503: {
            "model": ErrorOut,
            "description": "The server lacks what the source needs (its key, or it runs offline).",
        },
        **WRITE_AUTH_ERRORS,
        422: {"model": ErrorOut},
    },
)
def start_ingest(
    jobs: JobsDep,
    settings: SettingsDep,
    response: Response,
    source: Annotated[IngestSource, Path(description="arxiv, hf, url, web or files.")],
    params: Annotated[
        dict[str, Any] | None,
        Body(
            description=PARAMS_DOC,
            openapi_examples=PARAMS_EXAMPLES,
            json_schema_extra=_params_schemas(),
        ),
    ] = None,
) -> JobAccepted:
    """Start an ingest job; it runs in the background, one job at a time. Poll
    `GET /v1/ingest/jobs/{job_id}` (also in the `Location` header) for its status and
    report."""
    checked = precheck(source.value, params or {}, settings)
    job = jobs.submit(source.value, checked, given=params or {})
    response.headers["Location"] = f"/v1/ingest/jobs/{job.job_id}"
    return JobAccepted(job_id=job.job_id, status=JobStatus(job.status))


@router.get("/jobs", response_model=JobList, dependencies=[ReadAccess], responses=READ_AUTH_ERRORS)
def list_ingest_jobs(jobs: JobsDep) -> JobList:
    """The jobs this server ran or queued since it started (the last 100), newest first."""
    items = [JobOut.model_validate(data) for data in jobs.list()]
    return JobList(items=items, total=len(items))


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    dependencies=[ReadAccess],
    responses={404: {"model": ErrorOut, "description": "Unknown job."}, **READ_AUTH_ERRORS},
)
def get_ingest_job(jobs: JobsDep, job_id: str) -> JobOut:
    """A job's status (queued, running, cancelling, done, failed, cancelled), progress, and
    report once it has ended."""
    data = jobs.get(job_id)
    if data is None:
        raise NotFound(f"no ingest job '{job_id}'; jobs live in memory until the server restarts")
    return JobOut.model_validate(data)


@router.delete(
    "/jobs/{job_id}",
    response_model=JobOut,
    dependencies=[WriteAccess],
    responses={
        **WRITE_AUTH_ERRORS,
        404: {"model": ErrorOut, "description": "Unknown job."},
        409: {"model": ErrorOut, "description": "The job has already ended."},
    },
)
def cancel_ingest_job(jobs: JobsDep, job_id: str) -> JobOut:
    """Cancel a job. A queued one ends at once (`cancelled`); a running one fetches nothing
    more, stores whole the items it has fetched, and ends as `cancelled` with its report
    (`cancelling` until then). Starting the same ingest again skips what was stored."""
    data = jobs.cancel(job_id)
    if data is None:
        raise NotFound(f"no ingest job '{job_id}'; jobs live in memory until the server restarts")
    return JobOut.model_validate(data)


def precheck(source: str, params: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Reject parameters of the wrong shape (422), files that cannot be read (400 or 403)
    and keys the server lacks (503) now, not later in a failed job."""
    import ingest as wing  # the ingest wing; its source clients load only when a job runs

    try:  # the body's shape first: a 422 naming every field, as other routes answer
        wing.SOURCES[source].params.model_validate(params)
    except ValidationError as exc:
        problems = [
            {**e, "loc": ("body", *e["loc"]), "msg": json_names(str(e["msg"]))}
            for e in exc.errors()
        ]
        raise RequestValidationError(problems) from None
    try:
        if source == "files":
            params = confine_files(params, settings)
        wing.SOURCES[source].check(wing.parse_params(source, params), settings)
    except InputError as exc:
        raise type(exc)(json_names(exc.message)) from None
    return params


def confine_files(params: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A file ingest over the API reads only below ``MLKB_FILES_ROOT`` (what it stores,
    any reader can read back); its relative paths and ids start there."""
    if settings.files_root is None:
        raise FilesOutsideRoot(
            "this server ingests no files: set MLKB_FILES_ROOT to the folder it may read, "
            "or run `mlkb ingest files` where the files are"
        )
    if "within" in params:
        raise InputError("ingest files: `within` is set by the server (MLKB_FILES_ROOT)")
    allowed = settings.files_root.expanduser().resolve()
    root = allowed / os.path.expanduser(params.get("root") or allowed)
    if not root.resolve().is_relative_to(allowed):
        raise FilesOutsideRoot(f"root '{root}' is outside MLKB_FILES_ROOT ({allowed})")
    # ``within`` makes the wing refuse any file that resolves outside, links included.
    return {**params, "root": str(root.resolve()), "within": str(allowed)}


_FLAG = re.compile(r"--([a-z][a-z-]*)")
_FIELD_OF_FLAG = {"id": "ids"}
"""CLI options whose JSON field has another name than the option's."""


def json_names(message: str) -> str:
    """The ingest wing's message with CLI options (``--root``) named as JSON fields."""
    return _FLAG.sub(lambda m: f"`{_FIELD_OF_FLAG.get(m[1], m[1].replace('-', '_'))}`", message)
