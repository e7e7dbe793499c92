"""Bad input at the CLI's edges: files, folders, settings and options that are wrong get
one line naming the problem and the fix, and leave the store and the disk as they were."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.mlkb.helpers import drift_recipe

pytestmark = pytest.mark.usefixtures("fake_settings")


def one_line_error(result, code: int, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == code, result
    last = result.err.splitlines()[-1]  # after any progress note such as seeding
    assert last.startswith("error: ") and result.err.count("error") == 1, result.err
    for fragment in fragments:
        assert fragment in last, result.err
    assert "Traceback" not in result.err


def test_import_of_a_binary_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blob = tmp_path / "photo.jsonl"
    blob.write_bytes(bytes(range(256)) * 8)
    one_line_error(cli("import", str(blob)), 1, "not UTF-8 text", "mlkb export")


def test_export_to_a_folder_or_a_new_folder(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "backups"
    folder.mkdir()
    one_line_error(cli("export", str(folder)), 1, "is a folder", "backup.jsonl")
    assert list(folder.iterdir()) == [] and not (tmp_path / "backups.part").exists()

    nested = tmp_path / "not" / "yet" / "there.jsonl"
    assert cli("export", str(nested)).code == 0
    assert json.loads(nested.read_text().splitlines()[0])["mlkb_export"] == 1
    assert not nested.with_name("there.jsonl.part").exists()


def test_importing_a_backup_into_its_own_store_embeds_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "dump.jsonl"
    assert cli("export", str(dump)).code == 0
    again = cli("import", str(dump))
    assert again.code == 0 and "nothing to import" in again.out, again


def test_a_reindex_whose_model_cannot_load_leaves_everything(  # type: ignore[no-untyped-def]
    cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = json.loads(cli("stats", "--json").out)
    monkeypatch.setenv("MLKB_EMBED_MODEL", str(isolated_home / "no-such-model"))
    one_line_error(cli("reindex"), 2, "cannot load embedding model", "MLKB_EMBED_MODEL")
    monkeypatch.setenv("MLKB_EMBED_MODEL", "fake")
    assert json.loads(cli("stats", "--json").out) == before
    assert not list(isolated_home.glob("reindex-*"))


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("MLKB_CHUNK_WORDS", "abc", "MLKB_CHUNK_WORDS: Input should be a valid integer"),
        ("MLKB_COLLECTION", "../../etc", "MLKB_COLLECTION: '../../etc' is not a collection"),
        ("MLKB_COLLECTION", "", "is not a collection name"),
        ("MLKB_HOME", "", "MLKB_HOME: is empty"),
        ("MLKB_API_URL", "notaurl", "MLKB_API_URL: 'notaurl' is not an http(s) URL"),
    ],
)
def test_a_bad_setting_names_its_variable(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(variable, value)
    one_line_error(cli("stats"), 2, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created, here or above


def test_user_text_is_printed_as_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("show", "[red]x[/red]"), 1, "no item with id '[red]x[/red]'")
    one_line_error(cli("recipe", "add", str(tmp_path / "[abc].yaml")), 1, "[abc].yaml")


def test_a_folder_without_recipes_is_an_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty").mkdir()
    for command in ("add", "validate"):
        one_line_error(cli("recipe", command, str(tmp_path / "empty")), 1, "no .yaml or .yml")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--worst", "-3"], "--worst"), (["--min-ndcg", "5"], "--min-ndcg")],
)
def test_eval_options_out_of_range(cli, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("eval", *args)
    assert result.code == 2 and fragment in result.err and "Traceback" not in result.err


def test_eval_queries_with_broken_yaml(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "queries.yaml"
    broken.write_text("- query: drift\n  relevant: {a: 2\n")
    one_line_error(cli("eval", "--queries", str(broken)), 1, "queries.yaml:", "malformed YAML")


def test_serve_on_a_taken_port_fails_before_loading(cli) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_error(cli("serve", "--port", str(port)), 2, f"127.0.0.1:{port}", "--port")
    one_line_error(cli("serve", "--host", "999.1.1.1"), 2, "--host '999.1.1.1'")
    unknown = cli("serve", "--log-level", "loud")
    assert unknown.code == 2 and "loud" in unknown.err and "Traceback" not in unknown.err


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["search"], ["Missing argument 'query'", "`mlkb search --help`"]),
        (["serch", "x"], ["No such command 'serch'", "Did you mean 'search'"]),
        (["search", "x", "-k", "0"], ["'-k'", "greater than or equal to 1"]),
        (["ingest", "arxiv", "x", "--since", "2024-13-01"], ["'--since'", "'2024-13-01'"]),
        (["search", "x", "--kind", "poem"], ["'--kind'", "poem"]),
    ],
)
def test_usage_errors_are_one_line(cli, args: list[str], fragments: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    one_line_error(result, 2, *fragments)
    assert "Value error" not in result.err and "╭" not in result.err


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"text": 123}, "text: Input should be a valid string"),
        ({"tags": "notalist"}, "tags: Input should be a valid list"),
        ({"section": "notalist"}, "section: Input should be a valid list"),
        ({"position": -1}, "position: Input should be greater than or equal to 0"),
        ({"position": "0"}, "position: Input should be a valid integer"),
        ({"published": 1700000000}, "published: Input should be a valid string"),
        ({"published": "last week"}, "published 'last week' is not an ISO date"),
        ({"doc_id": "file:other.md"}, "do not name the same chunk"),
        ({"doc": None}, "chunk 0 must carry its document's metadata"),
        ({"doc": {"id": "file:notes.md"}}, "doc.kind: Field required"),
    ],
)
def test_an_import_with_a_damaged_chunk_imports_nothing(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict, problem: str
) -> None:
    note = tmp_path / "notes.md"
    note.write_text("# Drift\n\nCompare feature histograms weekly with PSI.\n")
    assert cli("ingest", "files", str(note)).code == 0
    dump = tmp_path / "dump.jsonl"
    assert cli("export", str(dump)).code == 0
    lines = dump.read_text().splitlines()
    at = next(i for i, raw in enumerate(lines) if '"position": 0' in raw)
    line = json.loads(lines[at])
    line["payload"].update(change)
    lines[at] = json.dumps(line)
    dump.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("MLKB_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("MLKB_SEED_ON_FIRST_USE", "false")
    one_line_error(cli("import", str(dump)), 1, f"line {at + 1}: invalid chunk", problem)
    assert json.loads(cli("stats", "--json").out)["points"] == 0


def test_a_recipe_has_no_chunks_to_show(cli) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("show", "drift-psi-pricing", "--chunk", "3"), 1, "no chunk 3", "one piece")
    assert cli("show", "drift-psi-pricing", "--chunk", "0").code == 0


def test_an_export_from_a_newer_mlkb_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "future.jsonl"
    dump.write_text('{"mlkb_export": 99}\n')
    one_line_error(cli("import", str(dump)), 1, "export format 99 comes from a newer mlkb")


def test_an_import_stores_a_recipes_payload_as_its_recipe_says(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search reads a recipe's title and tags from its payload: a file that says otherwise
    than the recipe it carries does not get to."""
    dump = tmp_path / "dump.jsonl"
    assert cli("export", str(dump)).code == 0
    lines = dump.read_text().splitlines()
    at = next(i for i, raw in enumerate(lines) if '"item_id": "drift-psi-pricing"' in raw)
    line = json.loads(lines[at])
    line["payload"].update(title="Something else entirely", tags="not-a-list")
    lines[at] = json.dumps(line)
    dump.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("MLKB_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("MLKB_SEED_ON_FIRST_USE", "false")
    assert cli("import", str(dump)).code == 0
    hits = json.loads(cli("search", "psi drift pricing", "--json", "-k", "3").out)["hits"]
    hit = next(h for h in hits if h["id"] == "drift-psi-pricing")
    assert hit["title"] == drift_recipe().title
    assert "not-a-list" not in json.loads(cli("stats", "--json").out)["by_tag"]


def test_an_import_of_a_documents_chunks_without_its_first_imports_nothing(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored, they would answer searches while `show` and `rm` could not find them."""
    note = tmp_path / "long.md"
    note.write_text("# Long\n\n" + "Warmup keeps large-batch training stable. " * 400)
    assert cli("ingest", "files", str(note)).code == 0
    dump = tmp_path / "dump.jsonl"
    assert cli("export", str(dump)).code == 0
    lines = dump.read_text().splitlines()
    chunk_lines = [raw for raw in lines if '"position": ' in raw and '"position": 0' not in raw]
    assert len(chunk_lines) > 2
    past = json.loads(chunk_lines[1])
    past["payload"]["n_chunks"] = 1  # a later chunk of a document said to have one
    broken = [raw for raw in lines if '"position": 0' not in raw]
    monkeypatch.setenv("MLKB_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("MLKB_SEED_ON_FIRST_USE", "false")
    dump.write_text("\n".join(broken) + "\n")
    one_line_error(cli("import", str(dump)), 1, "has chunks but no chunk 0", "nothing was imported")
    dump.write_text(
        "\n".join(line if line != chunk_lines[1] else json.dumps(past) for line in lines) + "\n"
    )
    at = past["payload"]["position"]
    one_line_error(cli("import", str(dump)), 1, f"position {at} is past n_chunks 1")
    assert json.loads(cli("stats", "--json").out)["points"] == 0
