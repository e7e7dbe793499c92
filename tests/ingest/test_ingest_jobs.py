"""Ingest jobs over REST against the local Firecrawl stand-in: cancelling a running job and
a queued one, and what each keeps."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ingest_fakes import FakeService, Reply, fixture, service_settings

from api import create_app
from api.jobs import JobRunner
from mlkb import KnowledgeBase

KEY = "k-" + secrets.token_hex(15)
PAGES = [f"https://guides.example.org/page-{i}" for i in range(3)]


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    released = threading.Event()
    yield released
    released.set()  # never leave the fake service's thread waiting


@pytest.fixture
def writer(
    service: FakeService, make_kb: Callable[..., KnowledgeBase], gate: threading.Event
) -> Iterator[TestClient]:
    """An app whose Firecrawl answers the first scrape at once and the next ones only
    when ``gate`` is set."""
    replies = [_page(i, gate=gate if i else None) for i in range(len(PAGES))]
    service.route("POST", "/v2/scrape", *replies)
    kb = make_kb(service_settings(service.url, api_key=KEY))
    with TestClient(create_app(kb.settings, kb=kb), base_url="http://127.0.0.1") as client:
        client.headers["X-API-Key"] = KEY
        yield client


def _page(i: int, gate: threading.Event | None) -> Reply:
    """A recorded scrape answer, as page ``i``."""
    data = json.loads(fixture("firecrawl/scrape_lora.json"))
    data["data"]["metadata"].update(sourceURL=PAGES[i], url=PAGES[i], title=f"Page {i}")
    return Reply(200, json.dumps(data), gate=gate)


def _until(client: TestClient, job_id: str, done: Callable[[dict[str, Any]], bool]) -> dict:
    deadline = time.monotonic() + 20
    while True:
        job: dict[str, Any] = client.get(f"/v1/ingest/jobs/{job_id}").json()
        if done(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


def _scrapes(service: FakeService) -> int:
    return len(service.requests("/v2/scrape"))


def test_cancel_a_running_job_keeps_what_it_stored(
    writer: TestClient, service: FakeService, gate: threading.Event
) -> None:
    job_id = writer.post("/v1/ingest/url", json={"urls": PAGES}).json()["job_id"]
    deadline = time.monotonic() + 20
    while _scrapes(service) < 2:  # the first page is in hand, the second one stalls
        assert time.monotonic() < deadline
        time.sleep(0.02)

    assert writer.delete(f"/v1/ingest/jobs/{job_id}", headers={"X-API-Key": ""}).status_code == 401
    cancelling = writer.delete(f"/v1/ingest/jobs/{job_id}")
    assert cancelling.status_code == 200 and cancelling.json()["status"] == "cancelling"
    gate.set()

    job = _until(writer, job_id, lambda j: j["status"] not in ("running", "cancelling"))
    assert job["status"] == "cancelled", job
    assert job["report"]["new"] == 1 and job["report"]["stopped"] is True
    assert job["error"]["error"] == "cancelled"
    assert job["error"]["detail"].startswith("cancelled: 1 of 3 items were stored whole")
    assert writer.get(f"/v1/items/url:{PAGES[0]}").status_code == 200
    assert writer.get(f"/v1/items/url:{PAGES[2]}").status_code == 404

    again = writer.delete(f"/v1/ingest/jobs/{job_id}")
    assert again.status_code == 409 and again.json()["error"] == "job_finished"
    assert writer.delete("/v1/ingest/jobs/no-such-job").status_code == 404


def test_cancel_ends_a_job_waiting_out_a_rate_limit(
    writer: TestClient, service: FakeService
) -> None:
    """A job cancelled while its source waits out a ``Retry-After`` ends at once with what
    it stored; the wait and whatever it brings are left to the fetching thread."""
    service.route("POST", "/v2/scrape", _page(0, None), Reply(429, "{}", {"Retry-After": "30"}))
    job_id = writer.post("/v1/ingest/url", json={"urls": PAGES}).json()["job_id"]
    deadline = time.monotonic() + 20
    while _scrapes(service) < 2:  # page 1 was refused: the source now waits 30 s
        assert time.monotonic() < deadline
        time.sleep(0.02)

    asked = time.monotonic()
    assert writer.delete(f"/v1/ingest/jobs/{job_id}").json()["status"] == "cancelling"
    job = _until(writer, job_id, lambda j: j["status"] not in ("running", "cancelling"))
    assert time.monotonic() - asked < 10  # not the 30 s the service asked for
    assert job["status"] == "cancelled" and job["report"]["stopped"] is True, job
    assert job["report"]["new"] == 1 and job["report"]["failed"] == []
    assert writer.get(f"/v1/items/url:{PAGES[0]}").status_code == 200
    assert _scrapes(service) == 2


def test_cancel_a_queued_job_before_it_runs(
    writer: TestClient, service: FakeService, gate: threading.Event
) -> None:
    first = writer.post("/v1/ingest/url", json={"urls": PAGES[:2]}).json()["job_id"]
    queued = writer.post("/v1/ingest/url", json={"urls": [PAGES[2]]}).json()["job_id"]
    cancelled = writer.delete(f"/v1/ingest/jobs/{queued}").json()
    assert cancelled["status"] == "cancelled" and cancelled["started"] is None
    gate.set()

    done = _until(writer, first, lambda j: j["status"] == "done")
    assert done["report"]["new"] == 2 and done["report"]["stopped"] is False
    time.sleep(0.2)  # the runner has moved past the cancelled job by now
    assert writer.get(f"/v1/ingest/jobs/{queued}").json()["status"] == "cancelled"
    assert _scrapes(service) == 2  # the cancelled job's page was never asked for
    statuses = {j["job_id"]: j["status"] for j in writer.get("/v1/ingest/jobs").json()["items"]}
    assert statuses == {first: "done", queued: "cancelled"}


def test_runner_stops_a_job_at_shutdown() -> None:
    started = threading.Event()

    def run(source: str, params: dict[str, Any], progress: Any, stop: threading.Event) -> Any:
        started.set()
        stop.wait(10)

        class Report:
            new, total, stopped = 4, 9, stop.is_set()

        return Report()

    runner = JobRunner(run)
    job = runner.submit("files", {})
    assert started.wait(10)
    runner.close()
    ended = runner.get(job.job_id)
    assert ended is not None and ended["status"] == "cancelled"
    assert ended["error"]["detail"].startswith("the server shut down: 4 of 9 items")
