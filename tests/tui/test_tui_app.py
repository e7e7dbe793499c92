"""The TUI driven by Textual's pilot: search, detail, similar, filters, browse."""

from __future__ import annotations

import asyncio

import pytest

from mlkb import KnowledgeBase
from tests.tui.tui_helpers import app_for, hit_ids, search, settle, view
from tui import MlkbApp
from tui._text import EXAMPLES
from tui.screens.browse import BrowseScreen
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen
from tui.widgets.area_tree import AreaTree
from tui.widgets.detail_pane import DetailPane
from tui.widgets.filter_bar import FilterBar
from tui.widgets.no_results import NoResults
from tui.widgets.results_list import ResultsList
from tui.widgets.search_bar import SearchBar
from tui.widgets.status_line import StatusLine

DRIFT_TITLE = "Detect input and prediction drift for a dynamic pricing model"


def test_typing_a_query_lists_the_recipe(fake_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(fake_kb)
        async with app.run_test(size=(100, 30)) as pilot:
            await search(pilot, DRIFT_TITLE.lower())
            assert view(app) == "results"
            assert hit_ids(app)[0] == "drift-psi-pricing"
            status = app.query_one(StatusLine).text
            assert status.startswith(f"{len(hit_ids(app))}+ hits for “{DRIFT_TITLE.lower()}”")
            assert "ms" not in status  # timings are off in tests
            # the highlighted hit is rendered beside the list
            assert "Compute PSI daily" in app.query_one("#results-detail", DetailPane).markdown_text

    asyncio.run(scenario())


def test_timings_shown_by_default(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = MlkbApp(lambda: small_kb, close_on_exit=False)
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            assert app.query_one(StatusLine).text.endswith(" ms")

    asyncio.run(scenario())


def test_move_and_open_detail_shows_the_solution(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            await pilot.press("enter")  # from the search box to the list
            await settle(pilot, rounds=1)
            assert isinstance(app.focused, ResultsList)
            second = hit_ids(app)[1]
            await pilot.press("j", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen)
            assert app.screen.item_id == second
            recipe = small_kb.get(second)
            assert "## Solution" in app.screen.markdown
            assert recipe.solution.strip().splitlines()[0] in app.screen.markdown
            await pilot.press("escape")
            assert not isinstance(app.screen, DetailScreen)

    asyncio.run(scenario())


def test_similar_items(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "pricing drift psi")
            before = hit_ids(app)
            first = before[0]
            await pilot.press("down", "s")
            await settle(pilot)
            expected = [h.id for h in small_kb.similar(first, 20).hits]
            assert hit_ids(app) == expected
            assert first not in hit_ids(app)
            assert "similar to" in app.query_one(StatusLine).text
            await pilot.press("escape")  # back to the search results
            await settle(pilot, rounds=1)
            assert hit_ids(app) == before

    asyncio.run(scenario())


def test_back_from_similar_returns_to_the_hit_it_left(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "pricing drift psi")
            before = hit_ids(app)
            await pilot.press("down", "down", "down", "s")  # similar to the third hit
            await settle(pilot)
            assert hit_ids(app) == [h.id for h in small_kb.similar(before[2], 20).hits]
            await pilot.press("escape")
            await settle(pilot, rounds=1)
            results = app.query_one(ResultsList)
            assert hit_ids(app) == before and results.current is not None
            assert results.current.id == before[2]

    asyncio.run(scenario())


def test_similar_says_the_filters_it_applies(small_kb: KnowledgeBase) -> None:
    """The filter bar narrows similar items too; an empty list says which filter to drop."""

    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            app.query_one(FilterBar).set_filter("area", "llm")  # one recipe in the area
            await search(pilot, "fine-tune a large model on one gpu")
            assert hit_ids(app) == ["qlora-single-gpu"]
            await pilot.press("down", "s")
            await settle(pilot)
            status = app.query_one(StatusLine).text
            assert status.startswith("0 items similar to") and "with area=llm" in status
            assert "drop a filter for more" in status

    asyncio.run(scenario())


def test_similar_from_the_detail_screen(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "nan loss training steps")
            await pilot.press("down", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen)
            item = app.screen.item_id
            await pilot.press("s")
            await settle(pilot)
            assert not isinstance(app.screen, DetailScreen)
            assert hit_ids(app) == [h.id for h in small_kb.similar(item, 20).hits]

    asyncio.run(scenario())


def test_filters_narrow_results(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "drift training loss gpu")
            everything = hit_ids(app)
            assert {small_kb.get(i).area.value for i in everything} > {"monitoring"}
            app.query_one(FilterBar).set_filter("area", "monitoring")
            await settle(pilot)
            narrowed = hit_ids(app)
            assert narrowed and set(narrowed) < set(everything)
            assert {small_kb.get(i).area.value for i in narrowed} == {"monitoring"}
            assert "area=monitoring" in app.query_one(StatusLine).text
            app.query_one(FilterBar).set_filter("kind", "paper")
            await settle(pilot)
            assert view(app) == "empty"
            hint = app.query_one(NoResults).render()
            assert "No results" in str(hint) and "kind=paper" in str(hint)

    asyncio.run(scenario())


def test_empty_query_shows_welcome_and_examples_run(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await settle(pilot)
            assert view(app) == "welcome"
            assert "5 recipes" in app.query_one("#welcome-stats").render().plain  # type: ignore[attr-defined]
            await pilot.press("down", "enter")  # to the examples, run the first
            await settle(pilot)
            assert app.query_one(SearchBar).value == EXAMPLES[0]
            assert view(app) == "results"

    asyncio.run(scenario())


def test_escape_clears_the_query(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            assert view(app) == "results"
            await pilot.press("escape")
            await settle(pilot)
            assert app.query_one(SearchBar).value == ""
            assert view(app) == "welcome"

    asyncio.run(scenario())


def test_browse_tree_lists_areas(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await settle(pilot)
            await pilot.press("escape", "b")  # leave the search box, then browse
            await settle(pilot)
            assert isinstance(app.screen, BrowseScreen)
            tree = app.screen.query_one(AreaTree)
            assert tree.areas == ["training", "optimization", "monitoring", "llm"]
            await pilot.press("j", "j", "enter", "j")  # open monitoring, its first recipe
            await settle(pilot, rounds=1)
            pane = app.screen.query_one(DetailPane)
            assert pane.markdown_text.startswith("# Catch feature drift in credit scoring")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen)
            assert app.screen.item_id == "drift-ks-test-credit"

    asyncio.run(scenario())


def test_copy_id_and_open_url(small_kb: KnowledgeBase) -> None:
    opened: list[str] = []

    class Recording(MlkbApp):
        def open_url(self, url: str, *, new_tab: bool = True) -> None:
            opened.append(url)

    async def scenario() -> None:
        app = Recording(lambda: small_kb, close_on_exit=False, show_timings=False)
        async with app.run_test() as pilot:
            await search(pilot, DRIFT_TITLE.lower())
            await pilot.press("down")
            assert app.query_one(ResultsList).current.id == "drift-psi-pricing"  # type: ignore[union-attr]
            await pilot.press("y", "o")
            await settle(pilot)
            assert app.clipboard == "drift-psi-pricing"
            assert opened == ["https://arxiv.org/abs/1810.11953"]

    asyncio.run(scenario())


def test_help_lists_the_keys(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await settle(pilot)
            await pilot.press("escape", "question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            from tui.screens.help import KEYS

            for key in ("`/`", "`s`", "`o`", "`y`", "`b`", "`escape`", "`q`", "`enter`"):
                assert key in KEYS
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)

    asyncio.run(scenario())


def test_a_failed_search_clears_the_last_hits(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            assert view(app) == "results" and hit_ids(app)
            app.query_one(SearchBar).value = "x" * 12_000  # longer than a query may be
            await settle(pilot)
            assert view(app) != "results"
            assert "10,000" in app.query_one(StatusLine).text

    asyncio.run(scenario())


@pytest.mark.slow
def test_real_model_finds_drift_psi_pricing(real_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(real_kb)
        async with app.run_test() as pilot:
            await search(pilot, "drift detection for pricing")
            assert "drift-psi-pricing" in hit_ids(app)[:3]

    asyncio.run(scenario())


def test_a_dated_hit_shows_its_year() -> None:
    import datetime as dt

    from mlkb.schema import Hit, Kind
    from tui._text import hit_prompt

    hit = Hit(id="arxiv:2106.09685", kind=Kind.paper, title="LoRA", score=0.5, source="arxiv")
    assert "2021" not in hit_prompt(hit).plain
    dated = hit.model_copy(update={"published": dt.date(2021, 6, 17)})
    assert "arxiv · 2021 · " in hit_prompt(dated).plain
