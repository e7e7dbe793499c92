"""Local files: markdown, text, HTML and PDF as notes."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from ingest_fakes import make_pdf

from ingest import run
from mlkb import KnowledgeBase, SearchRequest
from mlkb.errors import InputError

WARMUP = """---
title: Warmup for large-batch training
tags: [optimization, warmup]
---
# Learning-rate warmup

Large batches diverge in the first few hundred steps when the learning rate starts at its peak.

## Schedule

Warm up linearly over 1-5% of the steps, then follow cosine decay to 10% of the peak.
With AdamW and batch 4096, 2000 warmup steps removed the early loss spikes.

## Pitfalls

Restarting from a checkpoint without restoring the scheduler state repeats the warmup.
"""
CLIP_HTML = """<html><head><title>Gradient clipping</title><style>p{}</style></head>
<body><nav>Home | Docs</nav><main><h1>Gradient clipping</h1>
<p>Clip the global norm at <code>1.0</code> for transformers trained with Adam.</p>
<h2>When it helps</h2><p>Loss spikes after a bad batch; RNNs with exploding gradients.</p>
</main><footer>© docs</footer></body></html>"""


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "kb-notes"
    (root / "training").mkdir(parents=True)
    (root / "training" / "warmup.md").write_text(WARMUP)
    (root / "training" / "clipping.html").write_text(CLIP_HTML)
    (root / "eval notes.txt").write_text("Report recall@10 and nDCG@10 on the held-out split.\n")
    (root / "papers").mkdir()
    (root / "papers" / "dropout.pdf").write_bytes(
        make_pdf(
            "Dropout in practice",
            [
                [
                    "Dropout in practice",
                    "1 Introduction",
                    "Dropout randomly zeroes activations with probability p during training.",
                    "2 Recommended rates",
                    "Use p = 0.1 for transformer blocks and 0.5 for wide fully connected layers.",
                ]
            ],
        )
    )
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.md").write_text("# not for the index\n")
    (root / "model.bin").write_bytes(b"\x00\x01")
    return root


def test_a_folder_of_notes(kb: KnowledgeBase, notes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(notes.parent)
    monkeypatch.setenv("HOME", str(notes.parent))  # ids of files in the home folder: ~/...
    report = run(kb, "files", {"paths": ["kb-notes"]})

    assert (report.total, report.new, report.failed) == (4, 4, [])
    warmup = kb.get("file:~/kb-notes/training/warmup.md")
    assert (warmup.kind.value, warmup.source) == ("note", "file")
    assert warmup.title == "Warmup for large-batch training"
    assert warmup.tags == ["optimization", "warmup"]
    assert warmup.metadata["format"] == "markdown" and warmup.url.startswith("file:///")
    assert "title:" not in warmup.text  # front matter is metadata, not text
    clip = kb.get("file:~/kb-notes/training/clipping.html")
    assert clip.title == "Gradient clipping" and "Home | Docs" not in clip.text
    assert "## When it helps" in clip.text
    pdf = kb.get("file:~/kb-notes/papers/dropout.pdf")
    assert pdf.title == "Dropout in practice" and "## 2 Recommended rates" in pdf.text
    assert kb.get("file:~/kb-notes/eval%20notes.txt").title == "Eval notes"
    assert kb.get("file:~/kb-notes/eval notes.txt").title == "Eval notes"  # as typed
    assert kb.similar("file:~/kb-notes/eval notes.txt", 2).hits
    hits = kb.search(SearchRequest(query="warmup steps cosine decay", kind=["note"]))
    assert hits.hits[0].id == "file:~/kb-notes/training/warmup.md"
    assert hits.hits[0].section


def test_globs_root_and_rerun(kb: KnowledgeBase, notes: Path) -> None:
    params = {
        "paths": [str(notes / "**" / "*.md"), str(notes / "training" / "*.html")],
        "root": str(notes),
    }
    first = run(kb, "files", params)
    assert first.new == 2
    assert kb.get("file:training/warmup.md").title.startswith("Warmup")
    points = kb.store.count()
    again = run(kb, "files", params)
    assert (again.unchanged, again.new, again.chunks) == (2, 0, 0)
    assert kb.store.count() == points


def test_one_file_is_one_note_whatever_root_named_it(kb: KnowledgeBase, notes: Path) -> None:
    """Ids follow --root, so the same file under another root would be a second note; the
    id just written stays, the other is removed and listed."""
    warmup = str(notes / "training" / "warmup.md")
    assert run(kb, "files", {"paths": [warmup], "root": str(notes)}).new == 1
    moved = run(kb, "files", {"paths": [warmup], "root": str(notes / "training")})
    assert moved.new == 1 and moved.pruned == ["file:training/warmup.md"]
    docs, total = kb.list_documents(source=["file"])
    assert total == 1 and docs[0].id == "file:warmup.md"
    again = run(kb, "files", {"paths": [warmup], "root": str(notes / "training")})
    assert (again.unchanged, again.pruned) == (1, [])
    # A stopped run removes nothing: it may have fetched files it never stored.
    halted = threading.Event()
    halted.set()
    stopped = run(kb, "files", {"paths": [warmup], "root": str(notes)}, stop=halted)
    assert stopped.stopped and stopped.pruned == []
    assert [d.id for d in kb.list_documents(source=["file"])[0]] == ["file:warmup.md"]


def test_an_edit_replaces_the_chunks(kb: KnowledgeBase, notes: Path) -> None:
    path = notes / "training" / "warmup.md"
    path.write_text(
        WARMUP
        + "".join(
            f"\n## Run {i}\n\n" + "Warmup of 500 steps kept the loss stable at batch 8192. " * 25
            for i in range(6)
        )
    )
    params = {"paths": [str(path)], "root": str(notes)}
    long_run = run(kb, "files", params)
    long_points = kb.store.count()
    path.write_text(WARMUP.replace("2000 warmup steps", "3000 warmup steps"))
    short_run = run(kb, "files", params)

    assert long_run.chunks > short_run.chunks and short_run.updated == 1
    doc = kb.get("file:training/warmup.md")
    assert kb.store.count() == len(doc.chunks) < long_points  # stale chunks are gone
    assert "3000 warmup steps" in doc.text and "Run 5" not in doc.text
    assert [c.position for c in doc.chunks] == list(range(len(doc.chunks)))


@pytest.mark.parametrize("content", [b"", b"   \n\n", bytes(range(256)) * 4])
def test_a_file_emptied_or_turned_binary_drops_its_note(
    kb: KnowledgeBase, notes: Path, content: bytes
) -> None:
    """Its note would otherwise keep answering searches with text the file no longer has."""
    path = notes / "training" / "warmup.md"
    params = {"paths": [str(path)], "root": str(notes)}
    assert run(kb, "files", params).new == 1
    path.write_bytes(content)
    again = run(kb, "files", params)
    assert [s.id_or_url for s in again.skipped] == ["file:training/warmup.md"]
    assert again.pruned == ["file:training/warmup.md"] and kb.store.count() == 0
    assert run(kb, "files", params).pruned == []  # nothing left to drop


def test_bad_paths_fail_before_any_work(kb: KnowledgeBase, notes: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run(kb, "files", {"paths": [str(notes / "nope.md")]})
    with pytest.raises(InputError, match="supported types"):
        run(kb, "files", {"paths": [str(notes / "model.bin")]})
    with pytest.raises(InputError, match="matches no"):
        run(kb, "files", {"paths": [str(notes / "*.docx")]})
    with pytest.raises(InputError, match="empty path"):
        run(kb, "files", {"paths": [""]})
    with pytest.raises(InputError, match="neither a file nor a folder"):
        run(kb, "files", {"paths": ["/dev/null"]})
    assert kb.store.count() == 0


def test_a_name_with_glob_characters_is_read_as_a_name(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "runs[1].md").write_text("# Run one\n\nThe first run diverged at step 300.\n")
    (tmp_path / "runs1.md").write_text("# Other\n\nA file the pattern runs[1].md matches.\n")
    report = run(kb, "files", {"paths": ["runs[1].md"], "root": str(tmp_path)})
    assert report.new == 1 and kb.get("file:runs[1].md").title == "Run one"


def test_an_unreadable_pdf_is_reported(kb: KnowledgeBase, notes: Path) -> None:
    (notes / "papers" / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf")
    report = run(kb, "files", {"paths": [str(notes / "papers")], "root": str(notes)})
    assert report.new == 1
    assert [f.id_or_url for f in report.failed] == ["file:papers/broken.pdf"]


def test_files_that_are_not_text_are_skipped_and_old_encodings_read(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "noise.md").write_bytes(random.Random(3).randbytes(20_000))
    (folder / "latin.txt").write_bytes("Café au lait: naïve Bayes baseline.".encode("cp1252"))
    (folder / "wide.txt").write_text("Früh stoppen: patience of 5 epochs.", encoding="utf-16")
    (folder / "blank.md").write_text("   \n\n")
    (folder / "windows.md").write_bytes(b"# Windows\r\n\r\nLine one.\r\nLine two.\r\n")
    report = run(kb, "files", {"paths": [str(folder)], "root": str(folder)})

    assert (report.new, report.failed) == (3, [])  # nothing to ingest is no failure
    windows = kb.get("file:windows.md")
    assert windows.title == "Windows" and "\r" not in windows.text + windows.chunks[0].text
    assert "Line one.\nLine two." in windows.text
    skipped = {f.id_or_url: f.error for f in report.skipped}
    assert skipped == {"file:noise.md": "binary content, not text", "file:blank.md": "no text"}
    assert "Café au lait: naïve Bayes" in kb.get("file:latin.txt").text
    assert "Früh stoppen" in kb.get("file:wide.txt").text


def test_prune_removes_notes_whose_files_are_gone(kb: KnowledgeBase, tmp_path: Path) -> None:
    notes, other = tmp_path / "notes", tmp_path / "other"
    (notes / "sub").mkdir(parents=True)
    other.mkdir()
    for path in (notes / "a.md", notes / "b.md", notes / "sub" / "c.md", other / "d.md"):
        path.write_text(f"# {path.stem}\n\nA note called {path.stem} about learning rates.\n")
    run(kb, "files", {"paths": [str(notes), str(other)], "root": str(tmp_path)})
    (notes / "b.md").unlink()
    (notes / "sub" / "c.md").rename(notes / "sub" / "c.bak")
    (other / "d.md").unlink()  # gone too, but not from a folder this run names

    kept = run(kb, "files", {"paths": [str(notes)], "root": str(tmp_path)})
    assert kept.pruned == [] and kb.get("file:notes/b.md").id == "file:notes/b.md"

    pruned = run(kb, "files", {"paths": [str(notes)], "root": str(tmp_path), "prune": True})
    assert sorted(pruned.pruned) == ["file:notes/b.md", "file:notes/sub/c.md"]
    assert pruned.unchanged == 1 and "pruned 2" in pruned.summary()
    stored = {d.id for d in kb.list_documents(source="file")[0]}
    assert stored == {"file:notes/a.md", "file:other/d.md"}
    # Ids written without a root name the same files: matched by address, not by id.
    again = run(kb, "files", {"paths": [str(other)], "prune": True})
    assert again.pruned == ["file:other/d.md"] and again.new == 0


def test_only_files_read_empty_or_binary_count_as_news_about_their_note() -> None:
    """A link refused for leading outside MLKB_FILES_ROOT says nothing about its file: its
    note stays (a server must not delete what it was only not allowed to read)."""
    from ingest import files_source
    from ingest.report import Skipped

    items = [
        Skipped(id_or_url="file:linked.md", error=files_source.OUTSIDE_ROOT),
        Skipped(id_or_url="file:emptied.md", error="no text"),
    ]
    skipped: list[str] = []
    assert list(files_source.noting(items, {}, skipped)) == items
    assert skipped == ["file:emptied.md"]
