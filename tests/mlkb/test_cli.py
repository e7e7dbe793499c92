"""The CLI on the fake embedder: output, JSON shape, exit codes, and every bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlkb.cli.recipes import TEMPLATE
from mlkb.seeds import shipped_recipes
from tests.cli_runner import run_cli

pytestmark = pytest.mark.usefixtures("fake_settings")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    return lambda *args: run_cli(capsys, *args)


def recipe_yaml(tmp_path: Path, slug: str, **fields: str) -> Path:
    text = TEMPLATE.replace("my-recipe-slug", slug)
    for key, value in fields.items():
        text = text.replace(key, value)
    path = tmp_path / f"{slug}.yaml"
    path.write_text(text)
    return path


def drift_recipe():  # type: ignore[no-untyped-def]
    return next(r for r in shipped_recipes() if r.id == "drift-psi-pricing")


def test_search_json_shape_uses_stable_ids(cli) -> None:  # type: ignore[no-untyped-def]
    recipe = drift_recipe()
    result = cli("search", recipe.title, "--json", "-k", "3")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["query"] == recipe.title
    assert recipe.id in [h["id"] for h in data["hits"]]
    hit = data["hits"][0]
    assert {"id", "kind", "title", "score", "area", "source", "url", "snippet"} <= hit.keys()
    assert len(data["hits"]) == 3


def test_search_text_output(cli) -> None:  # type: ignore[no-untyped-def]
    recipe = drift_recipe()
    result = cli("search", recipe.title, "--area", recipe.area.value)
    assert result.code == 0
    assert recipe.id in result.out and "recipe" in result.out and "hits in" in result.out


def test_search_pages_through_offset(cli) -> None:  # type: ignore[no-untyped-def]
    first = json.loads(cli("search", "overfitting", "-k", "3", "--json").out)
    assert first["next_offset"] == 3
    page = cli("search", "overfitting", "-k", "3", "--offset", "3")
    assert page.code == 0 and "more with --offset 6" in page.out
    assert page.out.lstrip().startswith("4. ")  # ranks go on from the first page
    assert "\n 1. " not in page.out
    near = cli("similar", "drift-psi-pricing", "-k", "2", "--offset", "2")
    assert near.code == 0 and near.out.lstrip().startswith("3. ")
    past = cli("search", "overfitting", "--kind", "recipe", "--offset", "1000")
    assert past.code == 0 and "past the first 1000 hits; lower --offset" in past.out
    assert cli("search", "overfitting", "--offset", "1001").code == 2
    nothing = cli("search", "overfitting", "--tag", "no-such-tag", "--offset", "10")
    assert "no item has tag 'no-such-tag'" in " ".join(nothing.out.split())


def test_search_by_publication_date(cli, fake_settings) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from mlkb import KnowledgeBase
    from mlkb.embed.fake import FakeEmbedder
    from tests.mlkb.helpers import make_document

    with KnowledgeBase(fake_settings, embedder=FakeEmbedder()) as kb:
        for year in (2021, 2023, 2025):
            doc = make_document(f"file:notes/serving-{year}.md", title=f"Serving in {year}")
            list(kb.add_documents([doc.model_copy(update={"published": dt.datetime(year, 6, 1)})]))
    found = json.loads(
        cli("search", "serving guide batching", "--since", "2022-01-01", "--json").out
    )
    assert {h["id"] for h in found["hits"]} == {
        "file:notes/serving-2023.md",
        "file:notes/serving-2025.md",
    }
    assert {h["published"] for h in found["hits"]} == {"2023-06-01", "2025-06-01"}
    window = cli("search", "serving", "--since", "2022-01-01", "--until", "2024-12-31", "--json")
    assert [h["id"] for h in json.loads(window.out)["hits"]] == ["file:notes/serving-2023.md"]
    shown = cli("search", "serving", "--since", "2024-01-01").out
    assert "file · 2025-06-01" in shown  # the day shows beside the source
    swapped = cli("search", "serving", "--since", "2024-01-01", "--until", "2022-01-01")
    assert swapped.code == 1 and "--since 2024-01-01 is after --until 2022-01-01" in swapped.err
    none = cli("search", "serving", "--since", "2030-01-01")
    assert "no document matches --since 2030-01-01" in " ".join(none.out.split())
    assert cli("search", "serving", "--since", "June 2024").code == 2


def test_show_prints_the_passage_around_a_hits_chunk(cli, fake_settings) -> None:  # type: ignore[no-untyped-def]
    from mlkb import KnowledgeBase
    from mlkb.embed.fake import FakeEmbedder
    from tests.mlkb.helpers import make_document

    with KnowledgeBase(fake_settings, embedder=FakeEmbedder()) as kb:
        list(kb.add_documents([make_document()]))
        view = kb.get("file:notes/guide.md")
    assert len(view.chunks) >= 3
    hits = json.loads(
        cli("search", "cache predictions feature hash", "--kind", "guide", "--json").out
    )
    chunk = hits["hits"][0]["chunk"]
    listed = cli("search", "cache predictions feature hash", "--kind", "guide").out
    assert f"chunk {chunk}" in " ".join(listed.split())
    shown = cli("show", "file:notes/guide.md", "--chunk", str(chunk), "--around", "0")
    assert shown.code == 0 and f"Passage (chunks {chunk}–{chunk})" in shown.out
    wanted = view.chunks[chunk].text.split()[-3:]  # printed whole, not cut at 400 characters
    assert " ".join(wanted) in " ".join(shown.out.split())
    wide = cli("show", "file:notes/guide.md", "--chunk", "1")
    assert "Passage (chunks 0–2)" in wide.out
    missing = cli("show", "file:notes/guide.md", "--chunk", "99")
    assert missing.code == 1 and "has no chunk 99" in missing.err


def test_show_and_similar(cli) -> None:  # type: ignore[no-untyped-def]
    recipe = drift_recipe()
    shown = cli("show", recipe.id)
    assert shown.code == 0 and "Solution" in shown.out and "Problem" in shown.out
    data = json.loads(cli("show", recipe.id, "--json").out)
    assert data["type"] == "recipe" and data["recipe"]["id"] == recipe.id
    similar = json.loads(cli("similar", recipe.id, "--json", "-k", "4").out)
    assert len(similar["hits"]) == 4 and recipe.id not in {h["id"] for h in similar["hits"]}


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


def test_an_empty_answer_names_the_filter_value_no_item_has(cli) -> None:  # type: ignore[no-untyped-def]
    typo = cli("search", "drift", "--source", "arxivv")
    assert typo.code == 0
    assert "No results: no item has source 'arxivv' (there are: seed)" in " ".join(typo.out.split())
    none = cli("search", "drift", "--kind", "paper")
    assert "no item has kind 'paper' (there are: recipe)" in " ".join(none.out.split())
    misspelt = " ".join(cli("search", "drift", "--tag", "pricng").out.split())
    assert "no item has tag 'pricng' (closest: pricing, " in misspelt and "stats --json" in misspelt
    together = " ".join(cli("search", "drift", "--area", "llm", "--tag", "psi").out.split())
    assert "no item matches --area llm --tag psi together; drop a filter" in together
    alone = " ".join(cli("similar", "drift-psi-pricing", "--kind", "paper").out.split())
    assert "No results: no other paper item is stored." in alone


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
    assert len(areas) == len(set(areas)) == 10 and lines[-1] == "242 recipes"
    assert cli("recipe", "list", "--tag", "no-such-tag").out.strip() == (
        "No recipes match these filters."
    )


def test_hits_wrap_under_their_own_text(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """At 60 columns titles, ids and snippets wrap four columns in: nothing but the ranks
    starts at the margin."""
    monkeypatch.setenv("COLUMNS", "60")
    lines = cli("search", "drift detection for pricing", "-k", "5").out.splitlines()
    assert " ms" in lines[-1] and max(len(line) for line in lines) <= 60
    ranks = [line for line in lines[:-1] if not line.startswith("    ")]
    assert [line.split(".")[0].strip() for line in ranks] == ["1", "2", "3", "4", "5"]
    assert len(lines) > 5 * 3  # each hit is a title, its id and kind, and a snippet


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
