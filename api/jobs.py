"""Ingest jobs: one background thread runs them one at a time; jobs live in memory.

A job is queued by ``POST /v1/ingest/{source}`` and polled with
``GET /v1/ingest/jobs/{job_id}``. The runner keeps the last ``keep`` finished jobs.
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

RunFn = Callable[[str, dict[str, Any], Callable[..., None]], Any]
"""Runs one ingest: (source, params, progress callback) -> report."""


class JobCancelled(Exception):
    """Raised inside a job's progress callback when the server shuts down."""


@dataclasses.dataclass
class Job:
    """One ingest job and what is known about it."""

    job_id: str
    source: str
    params: dict[str, Any]
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
        self._thread: threading.Thread | None = None

    def submit(self, source: str, params: dict[str, Any]) -> Job:
        """Queue a job and return it (status ``queued``)."""
        job = Job(job_id=uuid.uuid4().hex, source=source, params=dict(params))
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

    def close(self, timeout: float = 10.0) -> None:
        """Stop after the current job (asking it to cancel) and wait up to ``timeout``."""
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        for job in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[job.job_id]

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None or self._stopping.is_set():
                return
            self._execute(job)

    def _execute(self, job: Job) -> None:
        def progress(*args: Any, **kwargs: Any) -> None:
            if self._stopping.is_set():
                raise JobCancelled("the server is shutting down")
            with self._lock:
                job.progress = _progress_dict(args, kwargs)

        with self._lock:
            job.status, job.started = "running", dt.datetime.now(dt.UTC)
        try:
            report = self._run(job.source, job.params, progress)
        except MlkbError as exc:
            outcome: dict[str, Any] = {
                "status": "failed",
                "error": {"error": exc.code, "detail": exc.message},
            }
        except JobCancelled as exc:
            outcome = {"status": "failed", "error": {"error": "cancelled", "detail": str(exc)}}
        except Exception as exc:
            log.error("ingest job %s failed unexpectedly", job.job_id, exc_info=exc)
            detail = f"the job failed unexpectedly ({type(exc).__name__}); see the server log"
            outcome = {"status": "failed", "error": {"error": "internal", "detail": detail}}
        else:
            outcome = {"status": "done", "report": _report_dict(report)}
        with self._lock:
            job.status = outcome["status"]
            job.report = outcome.get("report")
            job.error = outcome.get("error")
            job.finished = dt.datetime.now(dt.UTC)


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
