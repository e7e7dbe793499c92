"""Ingest jobs: one background thread runs them one at a time; jobs live in memory.

A job is queued by ``POST /v1/ingest/{source}``, polled with ``GET /v1/ingest/jobs/{job_id}``
and cancelled with ``DELETE`` on the same path. The runner keeps the last ``keep`` finished
jobs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mlkb.errors import MlkbError

log = logging.getLogger("mlkb.api")

RunFn = Callable[[str, dict[str, Any], Callable[..., None], threading.Event], Any]
"""Runs one ingest: (source, params, progress callback, stop) -> report. Once ``stop`` is
set, the ingest fetches nothing more, stores what it has fetched, and returns its report."""

FINISHED = frozenset({"done", "failed", "cancelled"})


class JobFinished(MlkbError):
    """A cancel for a job that has already ended."""

    http_status = 409
    code = "job_finished"


@dataclasses.dataclass
class Job:
    """One ingest job and what is known about it."""

    job_id: str
    source: str
    params: dict[str, Any]
    """What the caller sent: shown in listings."""
    run_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    """What the job runs with (the server may complete them, e.g. with its own paths)."""
    status: str = "queued"
    created: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC))
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    progress: dict[str, Any] = dataclasses.field(default_factory=dict)
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def snapshot(self) -> dict[str, Any]:
        """A copy safe to serialise while the job runs."""
        data = dataclasses.asdict(self)
        data["progress"] = dict(self.progress)
        del data["run_params"]
        return data


class JobRunner:
    """A queue of ingest jobs and the one thread that works through it."""

    def __init__(self, run: RunFn, *, keep: int = 100) -> None:
        self._run = run
        self._keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._stop_current = threading.Event()  # one job runs at a time
        self._thread: threading.Thread | None = None

    def submit(
        self, source: str, params: dict[str, Any], *, given: dict[str, Any] | None = None
    ) -> Job:
        """Queue a job that runs with ``params`` and return it (status ``queued``); its
        listing shows ``given``, the parameters as the caller sent them, when they differ
        (a files job runs on server paths its caller need not see)."""
        job = Job(
            job_id=uuid.uuid4().hex,
            source=source,
            params=dict(params if given is None else given),
            run_params=dict(params),
        )
        with self._lock:
            self._jobs[job.job_id] = job
            self._trim()
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="mlkb-ingest", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> dict[str, Any] | None:
        """A snapshot of a job, or None if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.snapshot() if job else None

    def list(self) -> list[dict[str, Any]]:
        """Snapshots of the jobs kept, newest first."""
        with self._lock:
            return [job.snapshot() for job in reversed(self._jobs.values())]

    def cancel(self, job_id: str) -> dict[str, Any] | None:
        """Cancel a job: a queued one at once; a running one stops fetching, stores the items
        it has fetched, and ends as ``cancelled`` (``cancelling`` until then). Returns the
        job's snapshot, None if unknown; JobFinished if it has already ended."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status in FINISHED:
                raise JobFinished(
                    f"job '{job_id}' has already ended ({job.status}); nothing to cancel"
                )
            if job.status == "queued":
                job.status, job.finished = "cancelled", dt.datetime.now(dt.UTC)
                job.error = {"error": "cancelled", "detail": "cancelled before it started"}
            elif job.status == "running":
                job.status = "cancelling"
                self._stop_current.set()
            return job.snapshot()

    def close(self, timeout: float = 10.0) -> None:
        """Stop after the current job (asking it to cancel) and wait up to ``timeout``."""
        self._stopping.set()
        self._stop_current.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in FINISHED]
        for job in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[job.job_id]

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None or self._stopping.is_set():
                return
            with self._lock:
                if job.status == "cancelled":
                    continue
                job.status, job.started = "running", dt.datetime.now(dt.UTC)
                self._stop_current.clear()
            self._execute(job)

    def _execute(self, job: Job) -> None:
        def progress(*args: Any, **kwargs: Any) -> None:
            with self._lock:
                job.progress = _progress_dict(args, kwargs)

        try:
            report = self._run(job.source, job.run_params, progress, self._stop_current)
        except MlkbError as exc:
            outcome: dict[str, Any] = {
                "status": "failed",
                "error": {"error": exc.code, "detail": exc.said_to("api")},
            }
        except Exception as exc:
            log.error("ingest job %s failed unexpectedly", job.job_id, exc_info=exc)
            detail = f"the job failed unexpectedly ({type(exc).__name__}); see the server log"
            outcome = {"status": "failed", "error": {"error": "internal", "detail": detail}}
        else:
            outcome = {"status": "done", "report": _report_dict(report)}
            if getattr(report, "stopped", False):
                why = "the server shut down" if self._stopping.is_set() else "cancelled"
                outcome["status"] = "cancelled"
                outcome["error"] = {"error": "cancelled", "detail": _cancelled(why, report)}
        with self._lock:
            job.status = outcome["status"]
            job.report = outcome.get("report")
            job.error = outcome.get("error")
            job.finished = dt.datetime.now(dt.UTC)


def _cancelled(why: str, report: Any) -> str:
    """What a cancelled ingest stored, and how to finish it."""
    stored = sum(int(getattr(report, k, 0) or 0) for k in ("new", "updated", "unchanged"))
    total = getattr(report, "total", None)
    of = f" of {total}" if total else ""
    return f"{why}: {stored}{of} items were stored whole; start the same ingest to finish it"


def _report_dict(report: Any) -> dict[str, Any]:
    """An ingest report (pydantic model, dataclass or mapping) as plain JSON data."""
    if report is None:
        return {}
    if hasattr(report, "model_dump"):
        data: dict[str, Any] = report.model_dump(mode="json")
        return data
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return {str(k): _jsonable(v) for k, v in dataclasses.asdict(report).items()}
    if isinstance(report, dict):
        return {str(k): _jsonable(v) for k, v in report.items()}
    return {"result": str(report)}


def _progress_dict(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Whatever the ingest pipeline reports as progress, kept as JSON data."""
    if len(args) == 1 and not kwargs:
        return _report_dict(args[0]) if not isinstance(args[0], str) else {"message": args[0]}
    data = {f"arg{i}": a for i, a in enumerate(args)}
    data.update(kwargs)
    return {k: _jsonable(v) for k, v in data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)
