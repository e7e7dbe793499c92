"""``/v1/stats``, ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import KBDep, ReadAccess
from api.metrics import CONTENT_TYPE_LATEST
from api.schemas import READ_AUTH_ERRORS, ErrorOut, HealthOut, StatsOut
from mlkb import __version__

router = APIRouter(tags=["service"])
log = logging.getLogger("mlkb.api")


@router.get(
    "/v1/stats", response_model=StatsOut, dependencies=[ReadAccess], responses=READ_AUTH_ERRORS
)
def stats(kb: KBDep) -> StatsOut:
    """Counts by kind, area and source, and how the store is built."""
    return StatsOut.model_validate(kb.stats())


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok", version=__version__)


@router.head("/healthz", include_in_schema=False)
def healthz_head() -> Response:
    """The process is up, for probes that send HEAD."""
    return Response(status_code=200)


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={503: {"model": ErrorOut, "description": "The store is not reachable."}},
)
def readyz(kb: KBDep) -> HealthOut | JSONResponse:
    """The store answers and holds the collection."""
    try:
        ready = kb.store.meta() is not None and kb.store.count() >= 0
        problem = "the store has no open collection"
    except Exception as exc:  # any failure of the store means "not ready"
        ready, problem = False, f"the store does not answer ({type(exc).__name__})"
    if not ready:
        log.warning("readiness check failed: %s", problem)
        return JSONResponse({"error": "store_unavailable", "detail": problem}, status_code=503)
    return HealthOut(status="ready", version=__version__)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[ReadAccess],
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text."},
        **READ_AUTH_ERRORS,
    },
)
def metrics(request: Request) -> Response:
    """Request counts and latency histograms per route, in Prometheus' text format."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
