"""The CLI on the fake embedder: output, JSON shape, exit codes, and every bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlkb.cli.recipes import TEMPLATE
from mlkb.seeds import shipped_recipes
from tests.mlkb.helpers import drift_recipe

pytestmark = pytest.mark.usefixtures("fake_settings")


def recipe_yaml(tmp_path: Path, slug: str, **fields: str) -> Path:
    text = TEMPLATE.replace("my-recipe-slug", slug)
    for key, value in fields.items():
        text = text.replace(key, value)
    path = tmp_path / f"{slug}.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", ""], 1, "query is empty"),
        (["search", "x" * 10_001], 1, "limit of 10,000"),
        (["show", "no-such-id"], 1, "no item with id 'no-such-id'"),
        (["similar", "arxiv:9999.99999"], 1, "no item with id"),
        (["recipe", "rm", "no-such-id"], 1, "no item with id"),
        (["search", "drift", "--kind", "banana"], 2, "banana"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code(cli, args, code, message) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.code == code
    assert message in result.err
    assert "Traceback" not in result.err


def test_recipe_lifecycle(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = recipe_yaml(tmp_path, "my-own-fix")
    assert cli("recipe", "validate", str(path)).code == 0
    added = cli("recipe", "add", str(path), "--json")
    assert added.code == 0 and json.loads(added.out)[0]["status"] == "new"
    assert json.loads(cli("recipe", "add", str(path), "--json").out)[0]["status"] == "unchanged"
    changed = recipe_yaml(tmp_path, "my-own-fix", **{"What goes wrong": "Something else"})
    dup = cli("recipe", "add", str(changed))
    assert dup.code == 1 and "already exists" in dup.err
    assert (
        json.loads(cli("recipe", "add", str(changed), "--replace", "--json").out)[0]["status"]
        == "updated"
    )
    listed = json.loads(cli("recipe", "list", "--area", "monitoring", "--json").out)
    assert "my-own-fix" in {r["id"] for r in listed["items"]}
    assert cli("recipe", "rm", "my-own-fix").code == 0
    assert cli("show", "my-own-fix").code == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\ntitle: [unclosed\n", "malformed YAML"),
        ("id: only-an-id\n", "'title' is required"),
        (
            TEMPLATE.replace("my-recipe-slug", "ok-id").replace("version: 1", "version: many"),
            "'version'",
        ),
    ],
)
def test_invalid_recipe_files_add_nothing(cli, tmp_path: Path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    good = recipe_yaml(tmp_path, "good-recipe")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert cli("recipe", "validate", str(tmp_path)).code == 1
    result = cli("recipe", "add", str(good), str(bad))
    assert result.code == 1 and message in result.err and "nothing was added" in result.err
    assert cli("show", "good-recipe").code == 1


def test_reused_id_across_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    recipe_yaml(tmp_path, "same-id")
    (tmp_path / "copy.yaml").write_text((tmp_path / "same-id.yaml").read_text())
    result = cli("recipe", "validate", str(tmp_path))
    assert result.code == 1 and "already used" in result.err


def test_recipe_new_prints_a_valid_template(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = cli("recipe", "new").out
    path = tmp_path / "t.yaml"
    path.write_text(out)
    assert cli("recipe", "validate", str(path)).code == 0


def test_stats_and_seed(cli) -> None:  # type: ignore[no-untyped-def]
    stats = json.loads(cli("stats", "--json").out)
    assert stats["recipes"] == len(shipped_recipes()) and stats["backend"] == "embedded"
    seed = json.loads(cli("seed", "--json").out)
    assert seed == {
        "new": 0,
        "updated": 0,
        "unchanged": len(shipped_recipes()),
        "removed": 0,
        "kept_out": 0,
    }


def test_a_removed_curated_recipe_stays_out_of_seed(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("recipe", "rm", "drift-psi-pricing").code == 0
    kept = cli("seed")
    assert kept.code == 0 and "1 you removed kept out" in kept.out and "--restore" in kept.out
    assert cli("show", "drift-psi-pricing").code == 1
    restored = json.loads(cli("seed", "--restore", "--json").out)
    assert (restored["new"], restored["kept_out"]) == (1, 0)
    assert cli("show", "drift-psi-pricing").code == 0


def test_export_import_round_trip(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = recipe_yaml(tmp_path, "exported-one")
    cli("recipe", "add", str(path))
    dump = tmp_path / "dump.jsonl"
    assert cli("export", str(dump)).code == 0
    lines = dump.read_text().splitlines()
    assert json.loads(lines[0])["mlkb_export"] == 1 and len(lines) == len(shipped_recipes()) + 2
    monkeypatch.setenv("MLKB_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("MLKB_SEED_ON_FIRST_USE", "false")
    result = cli("import", str(dump))
    assert result.code == 0, result.err
    assert json.loads(cli("show", "exported-one", "--json").out)["recipe"]["id"] == "exported-one"
    assert json.loads(cli("stats", "--json").out)["recipes"] == len(shipped_recipes()) + 1


def test_import_with_a_broken_line_imports_nothing(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "dump.jsonl"
    cli("export", str(dump))
    lines = dump.read_text().splitlines()
    lines.insert(3, '{"key": "recipe:broken", "payload": ')
    dump.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("MLKB_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("MLKB_SEED_ON_FIRST_USE", "false")
    result = cli("import", str(dump))
    assert result.code == 1 and "line 4" in result.err and "nothing was imported" in result.err
    assert json.loads(cli("stats", "--json").out)["points"] == 0


def test_home_not_writable(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    if os.geteuid() == 0:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        monkeypatch.setenv("MLKB_HOME", str(blocker / "home"))
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        monkeypatch.setenv("MLKB_HOME", str(locked / "home"))
    result = cli("search", "drift")
    assert result.code == 2 and "MLKB_HOME" in result.err and "Traceback" not in result.err


def test_store_from_another_model(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert cli("stats").code == 0
    monkeypatch.setenv("MLKB_EMBED_MODEL", "fake:32")
    result = cli("search", "drift")
    assert result.code == 2 and "mlkb reindex" in result.err
    assert json.loads(cli("stats", "--json").out)["model"] == "fake"  # still says what it is
    assert cli("reindex").code == 0
    assert json.loads(cli("stats", "--json").out)["model"] == "fake:32"
    assert cli("search", "drift").code == 0


def test_bad_setting_is_a_config_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLKB_API_KEY", "changeme")
    result = cli("stats")
    assert result.code == 2 and "placeholder" in result.err


@pytest.mark.parametrize(("args", "code"), [(["--help"], 0), (["show", "no-such-id"], 1)])
def test_the_console_script_exits_with_its_code_output_and_atexit_handlers(
    isolated_home: Path, args: list[str], code: int
) -> None:
    """``main`` leaves the process without the interpreter's teardown; what a normal exit
    guarantees still holds: the exit code, every line written, and atexit handlers run."""
    import subprocess
    import sys

    script = (
        "import atexit, sys; atexit.register(lambda: print('atexit ran')); "
        "from mlkb.cli import main; main()"
    )
    env = {**os.environ, "MLKB_HOME": str(isolated_home), "MLKB_EMBED_MODEL": "fake"}
    out = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == code, out.stderr
    assert out.stdout.rstrip().endswith("atexit ran")
    if code:
        assert out.stderr.splitlines()[-1].startswith("error: no item with id 'no-such-id'")
    else:
        assert "Usage" in out.stdout and "search" in out.stdout


def test_a_recipe_as_yaml_validates_and_adds_back(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shown = cli("show", "drift-psi-pricing", "--yaml")
    assert shown.code == 0 and shown.out.startswith("id: drift-psi-pricing\n")
    edited = tmp_path / "drift.yaml"
    edited.write_text(shown.out.replace("title: Detect", "title: Still detect"))
    assert cli("recipe", "validate", str(edited)).code == 0
    assert cli("recipe", "add", "--replace", str(edited)).code == 0
    recipe = json.loads(cli("show", "drift-psi-pricing", "--json").out)["recipe"]
    assert recipe["title"].startswith("Still detect") and recipe["version"] == 2
    assert recipe["references"] == drift_recipe().model_dump(mode="json")["references"]


def test_yaml_keeps_a_solutions_steps_on_their_own_lines(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Text of several lines is a block, so a step added as a line stays a step (a quoted
    one-line string would fold the new line into the step before it)."""
    lines = cli("show", "drift-psi-pricing", "--yaml").out.splitlines()
    start = lines.index("solution: |-")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    step = "10. **Write a runbook.** Keep it next to the dashboard."
    lines.insert(end, f"  {step}")
    edited = tmp_path / "drift.yaml"
    edited.write_text("\n".join(lines) + "\n")
    assert cli("recipe", "add", "--replace", str(edited)).code == 0
    solution = json.loads(cli("show", "drift-psi-pricing", "--json").out)["recipe"]["solution"]
    assert solution == drift_recipe().solution + "\n" + step


def test_tags_are_matched_however_they_are_typed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Stored lowercase and hyphenated, as the curated recipes write them; filters alike."""
    path = recipe_yaml(tmp_path, "tagged-fix")
    path.write_text(
        path.read_text().replace("tags: [drift]", "tags: [Zebra Stripes, zebra-stripes, ' ZQ ']")
    )
    assert cli("recipe", "add", str(path)).code == 0
    assert json.loads(cli("show", "tagged-fix", "--json").out)["recipe"]["tags"] == [
        "zebra-stripes",
        "zq",
    ]
    for typed in ("ZQ", "Zebra  stripes"):
        hits = json.loads(cli("search", "fix", "--tag", typed, "--json").out)["hits"]
        assert [h["id"] for h in hits] == ["tagged-fix"], typed
    by_tag = json.loads(cli("stats", "--json").out)["by_tag"]
    assert by_tag["zq"] == 1 and by_tag["drift"] >= 1


def test_docs_lists_documents_or_says_there_are_none(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "No documents yet" in cli("docs").out
    note = tmp_path / "note.md"
    note.write_text("# Clipping\n\nClip gradients at norm 1.0.\n")
    assert cli("ingest", "files", str(note), "--root", str(tmp_path)).code == 0
    listed = " ".join(cli("docs").out.split())
    assert "file file:note.md Clipping 1" in listed and "1 documents" in listed
    assert "match these filters" in cli("docs", "--source", "arxiv").out


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        ([], "refresh changed ones, drop ones no longer shipped. Recipes you added"),
        (["ingest", "files"], "so ingesting it again updates it. Files with nothing"),
    ],
)
def test_help_text_flows_to_the_terminal_width(
    cli, monkeypatch: pytest.MonkeyPatch, args: list[str], sentence: str
) -> None:  # type: ignore[no-untyped-def]
    """A docstring's wrapped lines are joined, so help wraps at the terminal's edge, not
    mid-line where the source wrapped; examples keep a line each."""
    monkeypatch.setenv("COLUMNS", "200")
    result = cli(*args, "--help")
    assert result.code == 0, result.err
    assert sentence in result.out
    examples = [line for line in result.out.splitlines() if "Example: mlkb" in line]
    assert len(examples) == (0 if not args else 2)


def test_recipe_list_shows_every_id_whole_at_80_columns(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    lines = cli("recipe", "list").out.splitlines()
    assert max(len(line) for line in lines) <= 80
    ids = [line.split()[0] for line in lines if line.startswith("  ")]
    assert sorted(ids) == sorted(r.id for r in shipped_recipes())
    areas = [line.split()[0] for line in lines if not line.startswith(" ")][:-1]
    assert len(areas) == len(set(areas)) == 10 and lines[-1] == f"{len(ids)} recipes"
    limited = cli("recipe", "list", "--limit", "2").out.splitlines()[-1]
    assert limited == f"2 of {len(ids)} recipes; more with --limit {len(ids)}"
    assert cli("recipe", "list", "--tag", "no-such-tag").out.strip() == (
        "No recipes match these filters."
    )


def test_eval_names_what_a_weak_query_missed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The worst queries show the relevant items left out of the top 10, so a score below
    1 next to a right first hit explains itself."""
    queries = tmp_path / "queries.yaml"
    queries.write_text(
        "- query: detect input and prediction drift for a dynamic pricing model\n"
        "  relevant:\n"
        "    drift-psi-pricing: 2\n"
        "    a-recipe-nobody-wrote: 1\n"
    )
    result = cli("eval", "--queries", str(queries), "--mode", "hybrid", "--worst", "1")
    assert result.code == 0, result.err
    said = " ".join(result.out.split())
    assert "want drift-psi-pricing; got" in said and "; missed a-recipe-nobody-wrote" in said


def test_the_collector_pauses_only_for_a_commands_start() -> None:
    import gc
    import time

    from mlkb.cli import _collect_garbage_later

    _collect_garbage_later(0.05)
    assert not gc.isenabled()  # imports and the first search run without full collections
    deadline = time.monotonic() + 5
    while not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gc.isenabled()  # a long command (ingest, serve, tui) collects as usual
