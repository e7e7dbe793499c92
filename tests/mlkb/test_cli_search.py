"""``mlkb search``, ``show`` and ``similar`` on the fake embedder: output, JSON shape,
pages, filters and why an answer is empty."""

from __future__ import annotations

import json

import pytest

from tests.mlkb.helpers import drift_recipe

pytestmark = pytest.mark.usefixtures("fake_settings")


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
    assert "1 hit in" in cli("search", recipe.title, "-k", "1").out


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


def test_hits_wrap_under_their_own_text(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """At 60 columns titles, ids and snippets wrap four columns in: nothing but the ranks
    starts at the margin."""
    monkeypatch.setenv("COLUMNS", "60")
    lines = cli("search", "drift detection for pricing", "-k", "5").out.splitlines()
    assert " ms" in lines[-1] and max(len(line) for line in lines) <= 60
    ranks = [line for line in lines[:-1] if not line.startswith("    ")]
    assert [line.split(".")[0].strip() for line in ranks] == ["1", "2", "3", "4", "5"]
    assert len(lines) > 5 * 3  # each hit is a title, its id and kind, and a snippet
