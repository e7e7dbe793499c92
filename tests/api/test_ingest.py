"""Ingest jobs over REST (the files source, on files under tmp_path) and the job runner."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.jobs import JobRunner
from api.routes.ingest import json_names
from mlkb.errors import SourceError


def _wait(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/ingest/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_ingest_files_job(writer: TestClient, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mixed-precision.md").write_text(
        "# Mixed precision\n\nUse bf16 autocast and a dynamic loss scaler for fp16.\n"
    )
    (notes / "sharding.md").write_text(
        "# Sharded optimisers\n\nZeRO stage 2 shards gradients and optimizer states.\n"
    )
    r = writer.post("/v1/ingest/files", json={"paths": ["notes"], "root": str(tmp_path)})
    assert r.status_code == 202
    accepted = r.json()
    assert accepted["status"] in ("queued", "running", "done")
    assert r.headers["Location"] == f"/v1/ingest/jobs/{accepted['job_id']}"

    job = _wait(writer, accepted["job_id"])
    assert job["status"] == "done", job
    assert job["report"]["new"] == 2 and job["report"]["chunks"] >= 2
    assert job["report"]["failed"] == [] and job["finished"] >= job["started"]
    page = writer.get("/v1/ingest/jobs").json()
    listed = page["items"]
    assert page["total"] == 1 and [j["job_id"] for j in listed] == [accepted["job_id"]]
    assert listed[0]["status"] == "done"
    # shown as sent: the server's own paths (its MLKB_FILES_ROOT) stay on the server
    assert listed[0]["params"] == {"paths": ["notes"], "root": str(tmp_path)}

    hits = writer.get(
        "/v1/search", params={"q": "ZeRO shards optimizer states", "kind": "note"}
    ).json()["hits"]
    assert hits and hits[0]["id"].startswith("file:") and "sharding" in hits[0]["id"]

    again = _wait(
        writer,
        writer.post("/v1/ingest/files", json={"paths": ["notes"], "root": str(tmp_path)}).json()[
            "job_id"
        ],
    )
    assert again["report"]["unchanged"] == 2 and again["report"]["new"] == 0


def test_bad_ingest_requests_fail_at_once(writer: TestClient, tmp_path: Path) -> None:
    missing = writer.post("/v1/ingest/files", json={"paths": [str(tmp_path / "nope.md")]})
    assert missing.status_code == 400 and missing.json()["error"] == "bad_input"
    empty = writer.post("/v1/ingest/files", json={"paths": []})
    assert empty.status_code == 422 and empty.json()["problems"][0]["loc"] == "paths"
    extra = writer.post("/v1/ingest/files", json={"paths": ["x"], "bogus": 1})
    assert extra.status_code == 422 and extra.json()["error"] == "invalid_request"
    assert extra.json()["problems"] == [
        {"loc": "bogus", "msg": "not a field of this request (misspelt? /docs lists them)"}
    ]
    unknown = writer.post("/v1/ingest/gopher", json={})
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_request"
    assert writer.get("/v1/ingest/jobs/no-such-job").status_code == 404


def test_ingest_needs_the_write_key(client: TestClient, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    r = client.post("/v1/ingest/files", json={"paths": ["a.md"], "root": str(tmp_path)})
    assert r.status_code == 401


def test_runner_runs_one_job_at_a_time_and_reports_failures() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def run(source: str, params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        progress({"done": 1})
        time.sleep(0.02)
        with lock:
            running -= 1
        if params.get("fail"):
            raise SourceError("the service answered 503 after 4 retries; try later")
        return {"new": params["n"]}

    runner = JobRunner(run)
    jobs = [runner.submit("files", {"n": i}) for i in range(4)]
    bad = runner.submit("arxiv", {"fail": True})
    deadline = time.monotonic() + 10
    while (
        any(runner.get(j.job_id)["status"] != "done" for j in jobs)
        or runner.get(bad.job_id)["status"] != "failed"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    runner.close()
    assert peak == 1
    assert [runner.get(j.job_id)["report"] for j in jobs] == [{"new": i} for i in range(4)]
    assert runner.get(jobs[0].job_id)["progress"] == {"done": 1}
    failed = runner.get(bad.job_id)
    assert failed["error"] == {
        "error": "source_error",
        "detail": "the service answered 503 after 4 retries; try later",
    }


def test_documented_params_are_the_real_ones(writer: TestClient) -> None:
    import ingest as wing

    body = writer.get("/openapi.json").json()["paths"]["/v1/ingest/{source}"]["post"]
    examples = body["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) >= {"arxiv search", "arxiv ids", "url", "files"}
    for name, example in examples.items():
        wing.parse_params(name.split()[0], example["value"])  # raises on an unknown field
    assert "max_results" not in json.dumps(body)
    # each source's fields, typed and bounded; never the one the server sets itself
    schemas = body["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    by_title = {s["title"]: s for s in schemas if "title" in s}
    assert set(by_title) == {f"{name} parameters" for name in wing.SOURCES}
    for name, spec in wing.SOURCES.items():
        fields = set(by_title[f"{name} parameters"]["properties"])
        assert fields == set(spec.params.model_fields) - {"within"}
    assert by_title["arxiv parameters"]["properties"]["max"]["maximum"] == 2000
    wrong = writer.post("/v1/ingest/arxiv", json={"query": "drift", "max_results": 10})
    assert wrong.status_code == 422 and "max_results" in wrong.json()["detail"]


def test_ingest_errors_name_json_fields_not_cli_options(writer: TestClient) -> None:
    r = writer.post("/v1/ingest/arxiv", json={"query": "drift", "ids": ["1706.03762"]})
    assert r.status_code == 422
    assert "`ids`" in r.json()["detail"] and "--id" not in r.json()["detail"]
    assert json_names("--root 'x' is not a folder; --full-text too") == (
        "`root` 'x' is not a folder; `full_text` too"
    )


def test_file_ingest_reads_only_below_the_files_root(writer: TestClient, tmp_path: Path) -> None:
    """What a file ingest stores, any reader can read back: the server reads files only
    below MLKB_FILES_ROOT (here tmp_path), links included, and none when it is unset."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "ok.md").write_text("# Fine\n\nA note inside the root.\n")
    secret = tmp_path.parent / f"{tmp_path.name}-secret.md"
    secret.write_text("# Private\n\ndb password hunter2\n")
    (tmp_path / "notes" / "link.md").symlink_to(secret)

    outside = writer.post("/v1/ingest/files", json={"paths": [str(secret)]})
    assert outside.status_code in (400, 403) and "outside" in outside.json()["detail"]
    root_out = writer.post("/v1/ingest/files", json={"paths": ["x.md"], "root": "/etc"})
    assert root_out.status_code == 403 and root_out.json()["error"] == "files_forbidden"
    linked = writer.post("/v1/ingest/files", json={"paths": ["notes/link.md"]})
    assert linked.status_code in (400, 403) and "outside" in linked.json()["detail"]
    dotdot = writer.post("/v1/ingest/files", json={"paths": ["notes/../../" + secret.name]})
    assert dotdot.status_code in (400, 403)
    own = writer.post("/v1/ingest/files", json={"paths": ["notes"], "within": "/"})
    assert own.status_code == 400 and "MLKB_FILES_ROOT" in own.json()["detail"]

    # Outside the root, what exists and what does not get the same answer, naming nothing
    # the request did not name.
    answers = {
        arg: writer.post("/v1/ingest/files", json={"paths": [arg]}).json()["detail"]
        for arg in ("/etc/*", "/etc/passwd", "/etc/no-such-file.md")
    }
    for arg, detail in answers.items():
        assert detail.startswith(f"'{arg}' is outside"), detail
        assert detail.count("/etc") == 1

    # A folder below the root with a link leading out: the link is skipped and listed.
    fine = writer.post("/v1/ingest/files", json={"paths": ["notes"]})
    assert fine.status_code == 202, fine.json()
    report = _wait(writer, fine.json()["job_id"])["report"]
    assert report["new"] == 1 and report["failed"] == [] and len(report["skipped"]) == 1
    assert report["skipped"][0]["id_or_url"].endswith("notes/link.md")
    assert "outside MLKB_FILES_ROOT" in report["skipped"][0]["error"]
    assert "hunter2" not in str(writer.get("/v1/search", params={"q": "db password"}).json())

    app = writer.app
    app.state.settings = app.state.settings.model_copy(update={"files_root": None})  # type: ignore[attr-defined]
    off = writer.post("/v1/ingest/files", json={"paths": ["notes/ok.md"]})
    assert off.status_code == 403 and "MLKB_FILES_ROOT" in off.json()["detail"]
