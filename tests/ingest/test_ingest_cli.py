"""``mlkb ingest`` as a user runs it: real processes, exit codes, reports, kill and rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ingest_fakes import FakeService, Reply, write_notes

from ingest import run
from mlkb import KnowledgeBase, SearchRequest, Settings
from mlkb.embed.fake import FakeEmbedder


def mlkb(
    *args: str, home: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "MLKB_HOME": str(home),
        "MLKB_EMBED_MODEL": "fake",
        "MLKB_SEED_ON_FIRST_USE": "false",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "mlkb.cli", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def ingest_process(home: Path, cwd: Path, *args: str, stderr: int) -> subprocess.Popen[str]:
    """``mlkb ingest files ARGS`` in a child process, to kill or interrupt partway."""
    return subprocess.Popen(
        [sys.executable, "-m", "mlkb.cli", "ingest", "files", *args],
        env={
            **os.environ,
            "MLKB_HOME": str(home),
            "MLKB_EMBED_MODEL": "fake",
            "MLKB_SEED_ON_FIRST_USE": "false",
        },
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        # Ctrl-C reaches the child even when this runs in the background, where a shell
        # leaves SIGINT ignored (and Python then installs no handler for it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def stored(home: Path) -> dict[str, list[tuple[int, str]]]:
    """Every document in the store at ``home``: its chunks as (position, text)."""
    settings = Settings(home=home, embed_model="fake")
    docs: dict[str, list[tuple[int, str]]] = {}
    with KnowledgeBase(settings, embedder=FakeEmbedder(), seed=False) as kb:
        for point in kb.iter_points():
            p = point.payload
            docs.setdefault(p["doc_id"], []).append((p["position"], p["text"]))
    return {d: sorted(c) for d, c in docs.items()}


def test_files_json_report_then_show_and_search(tmp_path: Path, isolated_home: Path) -> None:
    write_notes(tmp_path / "notes", 3)
    as_user = {"HOME": str(tmp_path)}  # ids of files in the home folder read ~/...
    done = mlkb("ingest", "files", "notes", "--json", home=isolated_home, cwd=tmp_path, env=as_user)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["fetched"], report["new"], report["failed"]) == (3, 3, [])
    assert report["chunks"] >= 3 and report["seconds"] > 0

    shown = mlkb("show", "file:~/notes/note-0001.md", "--json", home=isolated_home)
    chunk = json.loads(shown.stdout)["document"]["chunks"][0]
    assert chunk["doc_id"] == "file:~/notes/note-0001.md"
    assert chunk["section"][0] == "Note 1: gradient clipping" and chunk["end"] > chunk["start"]
    text = mlkb("show", "file:~/notes/note-0001.md", home=isolated_home).stdout
    assert "chars 0–" in text and "file:///" in text  # provenance for people too

    found = mlkb(
        "search",
        "gradient clipping",
        "--kind",
        "note",
        "--source",
        "file",
        "--json",
        home=isolated_home,
    )
    hits = json.loads(found.stdout)["hits"]
    assert hits and all(h["kind"] == "note" and h["source"] == "file" for h in hits)

    # The same files named from inside their folder keep their ids.
    again = mlkb("ingest", "files", ".", home=isolated_home, cwd=tmp_path / "notes", env=as_user)
    assert again.returncode == 0 and "unchanged 3" in again.stdout and "new 0" in again.stdout


def test_docs_and_show_stay_readable_for_long_ids_and_documents(
    tmp_path: Path, isolated_home: Path
) -> None:
    long_name = "a-rather-long-file-name-for-checking-how-mlkb-docs-lists-it.md"
    (tmp_path / long_name).write_text("# A note with a long title that has to give way\n\nBody.\n")
    assert (
        mlkb("ingest", "files", long_name, "--root", str(tmp_path), home=isolated_home).returncode
        == 0
    )
    for columns in ("80", "200"):
        listed = mlkb("docs", home=isolated_home, env={"COLUMNS": columns}).stdout
        header, *rows, _ = listed.splitlines()
        start, end = header.index(" id ") + 1, header.index("title")
        assert "".join(row[start:end].strip() for row in rows) == f"file:{long_name}", listed
        assert max(len(line) for line in listed.splitlines()) <= int(columns)
    sections = [
        f"## Part {i}\n\n" + " ".join(f"word{i}x{j}" for j in range(200)) for i in range(40)
    ]
    (tmp_path / "long.md").write_text("# Long\n\n" + "\n\n".join(sections))
    mlkb("ingest", "files", "long.md", "--root", str(tmp_path), home=isolated_home)
    chunks = len(
        json.loads(mlkb("show", "file:long.md", "--json", home=isolated_home).stdout)["document"][
            "chunks"
        ]
    )
    assert chunks > 25
    brief = mlkb("show", "file:long.md", home=isolated_home).stdout
    assert f"{chunks - 20} more chunks" in brief and "#20 " not in brief and "#19 " in brief
    whole = mlkb("show", "file:long.md", "--chunks", "0", home=isolated_home).stdout
    assert "more chunks" not in whole and f"#{chunks - 1} " in whole
    unknown = mlkb("show", "file:nope.md", home=isolated_home)
    assert unknown.returncode == 1 and "`mlkb docs`" in unknown.stderr


def test_files_with_nothing_to_ingest_are_listed_not_failed(
    tmp_path: Path, isolated_home: Path
) -> None:
    (tmp_path / "blank.md").write_text("\n \n")
    (tmp_path / "ok.md").write_text("# Fine\n\nEarly stopping with patience 5.\n")
    done = mlkb("ingest", "files", ".", home=isolated_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        "skipped 1" in done.stdout and "skipped file:" in done.stdout and "no text" in done.stdout
    )

    (tmp_path / "ok.md").unlink()
    pruned = mlkb("ingest", "files", ".", "--prune", "--json", home=isolated_home, cwd=tmp_path)
    assert pruned.returncode == 0 and len(json.loads(pruned.stdout)["pruned"]) == 1
    assert "No documents yet" in mlkb("docs", home=isolated_home).stdout


def test_missing_key_fails_at_once(isolated_home: Path) -> None:
    done = mlkb("ingest", "url", "https://pytorch.org/docs/stable/amp.html", home=isolated_home)
    assert done.returncode == 2
    assert "FIRECRAWL_API_KEY" in done.stderr and "Traceback" not in done.stderr
    assert not (isolated_home / "stores").exists()  # nothing was opened or written
    done = mlkb("ingest", "web", "loss scaling", home=isolated_home)
    assert done.returncode == 2 and "TAVILY_API_KEY" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["arxiv"],
        ["arxiv", "q", "--id", "1706.03762"],
        ["hf"],
        ["url", "not-a-url"],
        ["files", "missing/*.md"],
        ["web", "x", "--max", "50"],
    ],
)
def test_bad_input_exits_1_or_2(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlkb.cli import run

    monkeypatch.setenv("FIRECRAWL_API_KEY", "fc-x")
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-x")
    monkeypatch.setattr(sys, "argv", ["mlkb", "ingest", *args])
    with pytest.raises(SystemExit) as exited:
        run()
    err = capsys.readouterr().err
    assert exited.value.code == (2 if "--max" in args else 1), err  # click usage error: 2
    assert "Traceback" not in err and ("error:" in err or "Invalid value" in err)


def test_failed_items_are_listed_and_exit_2(service: FakeService, isolated_home: Path) -> None:
    service.route("POST", "/v2/scrape", Reply.json({"success": False, "error": "boom"}, 500))
    env = {
        "FIRECRAWL_API_KEY": "fc-test",
        "MLKB_FIRECRAWL_API_URL": service.url,
        "MLKB_HTTP_RETRIES": "1",
        "MLKB_RETRY_BACKOFF": "0.01",
    }
    done = mlkb("ingest", "url", "https://example.com/guide", home=isolated_home, env=env)
    assert done.returncode == 2
    assert "failed 1" in done.stdout and "https://example.com/guide: HTTP 500" in done.stdout


def test_arxiv_from_the_cli(service: FakeService, isolated_home: Path) -> None:
    service.route("GET", "/api/query", Reply.file("arxiv/ids.xml"))
    env = {"MLKB_ARXIV_API_URL": f"{service.url}/api/query", "MLKB_ARXIV_DELAY": "0"}
    done = mlkb(
        "ingest",
        "arxiv",
        "--id",
        "1706.03762",
        "--id",
        "1810.04805",
        "--quiet",
        home=isolated_home,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "new 2" in done.stdout
    found = mlkb(
        "search", "bidirectional pre-training", "--kind", "paper", "--json", home=isolated_home
    )
    assert json.loads(found.stdout)["hits"][0]["id"] == "arxiv:1810.04805"


def test_kill_and_rerun_matches_a_clean_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_notes(corpus, 80, sections=4)
    clean_home = tmp_path / "clean"
    started = time.monotonic()
    assert (
        mlkb("ingest", "files", "corpus", "--quiet", home=clean_home, cwd=tmp_path).returncode == 0
    )
    clean_seconds = time.monotonic() - started
    clean = stored(clean_home)
    assert len(clean) == 80

    home = tmp_path / "killed"
    for fraction in (0.75, 0.85, 0.65, 0.92, 0.55, 0.95, 0.8, 0.7, 0.6, 0.9):
        if home.exists():
            import shutil

            shutil.rmtree(home)
        proc = ingest_process(home, tmp_path, "corpus", "--quiet", stderr=subprocess.DEVNULL)
        time.sleep(clean_seconds * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        partial = stored(home) if home.exists() else {}
        # Some documents finished (chunk 0, written last, is there) and some not: a kill
        # before the first chunk 0 leaves nothing for the rerun to keep.
        finished = sum(1 for chunks in partial.values() if chunks[0][0] == 0)
        if proc.returncode == -signal.SIGKILL and 0 < finished < 80:
            break
    else:
        pytest.fail("could not kill the ingest partway through")

    rerun = mlkb("ingest", "files", "corpus", "--json", home=home, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    report: dict[str, Any] = json.loads(rerun.stdout)
    assert report["new"] + report["updated"] > 0 and report["unchanged"] > 0
    final = stored(home)
    assert final == clean  # every document once, with exactly its chunks


@pytest.mark.slow
def test_real_model_finds_notes_next_to_recipes(real_kb: KnowledgeBase, tmp_path: Path) -> None:
    note = tmp_path / "fp16-nan.md"
    note.write_text(
        "# fp16 training turns the loss into NaN\n\n"
        "After switching to float16 autocast the loss became NaN after a few hundred steps. "
        "Dynamic loss scaling with GradScaler and keeping the softmax in float32 fixed it; "
        "bfloat16 on A100s avoided the overflow entirely.\n"
    )
    report = run(real_kb, "files", {"paths": [str(note)], "root": str(tmp_path)})
    assert report.new == 1

    everything = real_kb.search("loss becomes NaN with mixed precision fp16")
    kinds = {h.kind.value for h in everything.hits}
    assert "file:fp16-nan.md" in [h.id for h in everything.hits[:5]]
    assert "recipe" in kinds  # found next to recipes
    only_notes = real_kb.search(SearchRequest(query="fp16 NaN loss", kind=["note"]))
    assert [h.id for h in only_notes.hits] == ["file:fp16-nan.md"]


def test_ctrl_c_says_what_was_kept_and_a_rerun_finishes(tmp_path: Path) -> None:
    # 2,000 notes take about 8 s here: a run must still be going a second after it opened
    write_notes(tmp_path / "many", 2000, sections=4)
    home = tmp_path / "home"
    proc = ingest_process(home, tmp_path, "many", stderr=subprocess.PIPE)
    lock = home / "stores" / "mlkb" / ".mlkb.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:  # the store is open ...
        time.sleep(0.05)
    time.sleep(1.0)  # ... and documents are being written
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: interrupted: ") and " of 2000 " in last, err
    assert "run the same command again" in last and "Traceback" not in err

    rerun = mlkb("ingest", "files", "many", "--json", home=home, cwd=tmp_path)
    report = json.loads(rerun.stdout)
    assert rerun.returncode == 0 and report["new"] + report["unchanged"] == 2000
    if "at least " in last:  # else the interrupt came before the first batch was written
        said = int(last.split("at least ")[1].split()[0])
        assert report["unchanged"] >= said > 0  # kept, and never less than the message says
