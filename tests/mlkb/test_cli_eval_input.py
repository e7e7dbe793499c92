"""`mlkb eval` on labels and BEIR folders that are wrong: one line naming the file, the line
and the fix, never a traceback; labels the store cannot match are pointed out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.mlkb.test_cli_bad_input import one_line_error

pytestmark = pytest.mark.usefixtures("fake_settings")


def beir_folder(root: Path, corpus: str, queries: str, qrels: str) -> Path:
    """A BEIR folder with these three files."""
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(corpus)
    (root / "queries.jsonl").write_text(queries)
    (root / "qrels" / "test.tsv").write_text(qrels)
    return root


GOOD_CORPUS = json.dumps({"_id": "d1", "title": "PSI drift", "text": "Compare bins weekly."}) + "\n"
GOOD_QUERIES = json.dumps({"_id": "q1", "text": "drift"}) + "\n"
GOOD_QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\n"


@pytest.mark.parametrize(
    ("corpus", "queries", "qrels", "fragments"),
    [
        (GOOD_CORPUS + "garbage\n", GOOD_QUERIES, GOOD_QRELS, ["corpus.jsonl: line 2", "JSON"]),
        (GOOD_CORPUS, '{"_id": "q1"}\n', GOOD_QRELS, ["queries.jsonl: line 1", "_id, text"]),
        (GOOD_CORPUS, GOOD_QUERIES, GOOD_QRELS + "q1\td1\tnotanint\n", ["test.tsv: line 3"]),
        ("[1, 2]\n", GOOD_QUERIES, GOOD_QRELS, ["corpus.jsonl: line 1", "an object"]),
    ],
)
def test_a_broken_beir_file_is_named_with_its_line(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, corpus: str, queries: str, qrels: str, fragments: list[str]
) -> None:
    folder = beir_folder(tmp_path / "beir", corpus, queries, qrels)
    one_line_error(cli("eval", "--beir", str(folder)), 1, *fragments)


def test_a_small_beir_folder_scores(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = beir_folder(tmp_path / "beir", GOOD_CORPUS, GOOD_QUERIES, GOOD_QRELS)
    done = cli("eval", "--beir", str(folder), "--json", "--store", str(tmp_path / "store"))
    assert done.code == 0, done.err
    assert json.loads(done.out)[0]["queries"] == 1


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ('- query: ""\n  relevant: {drift-psi-pricing: 2}\n', "the query is empty"),
        ("- query: drift\n  relevant: {drift-psi-pricing: high}\n", "drift-psi-pricing: 'high'"),
        ("- query: drift\n  relevant: {}\n", "grades must be whole numbers"),
    ],
)
def test_bad_labels_are_refused(cli, tmp_path: Path, entry: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    labels = tmp_path / "labels.yaml"
    labels.write_text(entry)
    one_line_error(cli("eval", "--queries", str(labels)), 1, "labels.yaml: entry 1", fragment)


def test_labels_the_store_cannot_match_are_pointed_out(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    labels = tmp_path / "labels.yaml"
    labels.write_text(
        "- query: psi drift for pricing\n  relevant: {drift-psi-pricing: 2, drift-psi-pricnig: 1}\n"
    )
    done = cli("eval", "--queries", str(labels))
    assert done.code == 0, done.err
    assert "warning: 1 labelled id is not a recipe in the store (drift-psi-pricnig)" in done.err
    clean = tmp_path / "clean.yaml"
    clean.write_text("- query: psi drift for pricing\n  relevant: {drift-psi-pricing: 2}\n")
    assert "warning" not in cli("eval", "--queries", str(clean)).err
