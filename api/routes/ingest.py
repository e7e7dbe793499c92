"""``/v1/ingest``: start ingest jobs and follow them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from api.body import JsonBodyRoute
from api.deps import JobsDep, ReadAccess, SettingsDep, WriteAccess
from api.schemas import WRITE_AUTH_ERRORS, ErrorOut, IngestSource, JobAccepted, JobOut, JobStatus
from mlkb.errors import NotFound
from mlkb.settings import Settings

router = APIRouter(prefix="/v1/ingest", tags=["ingest"], route_class=JsonBodyRoute)

PARAMS_DOC = (
    "The source's parameters, as the matching `mlkb ingest <source>` options: e.g. "
    '`{"query": "drift detection", "max_results": 10}` for arxiv, `{"urls": [...]}` for url, '
    '`{"paths": ["notes/"]}` for files (paths on the server).'
)


@router.post(
    "/{source}",
    response_model=JobAccepted,
    status_code=202,
    dependencies=[WriteAccess],
    responses={
        400: {"model": ErrorOut, "description": "Bad parameters, or a missing key."},
        **WRITE_AUTH_ERRORS,
        422: {"model": ErrorOut},
    },
)
def start_ingest(
    jobs: JobsDep,
    settings: SettingsDep,
    source: Annotated[IngestSource, Path(description="arxiv, hf, url, web or files.")],
    params: Annotated[dict[str, Any] | None, Body(description=PARAMS_DOC)] = None,
) -> JobAccepted:
    """Start an ingest job; it runs in the background, one job at a time. Poll
    `GET /v1/ingest/jobs/{job_id}` for its status and report."""
    precheck(source.value, params or {}, settings)
    job = jobs.submit(source.value, params or {})
    return JobAccepted(job_id=job.job_id, status=JobStatus(job.status))


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    dependencies=[ReadAccess],
    responses={404: {"model": ErrorOut, "description": "Unknown job."}},
)
def get_ingest_job(jobs: JobsDep, job_id: str) -> JobOut:
    """A job's status (queued, running, done, failed), progress, and report once done."""
    data = jobs.get(job_id)
    if data is None:
        raise NotFound(f"no ingest job '{job_id}'; jobs live in memory until the server restarts")
    return JobOut.model_validate(data)


def precheck(source: str, params: dict[str, Any], settings: Settings) -> None:
    """Reject bad parameters and missing keys now (400), not later in a failed job."""
    import ingest as wing  # the ingest wing; its source clients load only when a job runs

    parsed = wing.parse_params(source, params)
    wing.SOURCES[source].check(parsed, settings)
