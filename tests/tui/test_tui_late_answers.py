"""Answers that arrive late (a slow server, a big store) must not undo what the user did
since, and the keyboard focus is always on something the user can see."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from mlkb import KnowledgeBase
from mlkb.errors import StoreLocked
from tests.tui.tui_helpers import app_for, hit_ids, search, settle, view
from tui import MlkbApp
from tui.screens.detail import DetailScreen
from tui.widgets.detail_pane import DetailPane
from tui.widgets.filter_bar import FilterBar
from tui.widgets.results_list import ResultsList
from tui.widgets.search_bar import SearchBar
from tui.widgets.status_line import StatusLine
from tui.widgets.welcome import ExampleList


class Held:
    """A knowledge base whose ``held`` calls wait until released, as a slow server would."""

    def __init__(self, kb: KnowledgeBase, *held: str) -> None:
        self.kb, self.held, self.release = kb, set(held), threading.Event()

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.kb, name)
        if name not in self.held:
            return call

        def waiting(*args: Any, **kwargs: Any) -> Any:
            self.release.wait(10)
            return call(*args, **kwargs)

        return waiting


def held_app(kb: KnowledgeBase, *held: str) -> tuple[MlkbApp, Held]:
    slow = Held(kb, *held)
    return MlkbApp(lambda: slow, close_on_exit=False, show_timings=False), slow


async def new_search(pilot: Any, query: str) -> None:
    """Leave for the search box, type a query and run it, as a user would, while a held
    call is still out (so no waiting for every worker here)."""
    await pilot.press("slash")
    pilot.app.query_one(SearchBar).value = query
    await pilot.press("enter")
    for _ in range(30):
        await pilot.pause(0.1)
        if (
            query in pilot.app.query_one(StatusLine).text
            and "hit" in pilot.app.query_one(StatusLine).text
        ):
            break
    assert "hit" in pilot.app.query_one(StatusLine).text, pilot.app.query_one(StatusLine).text


def test_similar_items_that_come_late_do_not_replace_a_newer_search(
    small_kb: KnowledgeBase,
) -> None:
    async def scenario() -> None:
        app, slow = held_app(small_kb, "similar")
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            await pilot.press("enter", "s")  # similar items: held
            await new_search(pilot, "nan loss")
            searched = hit_ids(app)
            slow.release.set()
            await settle(pilot)
            assert hit_ids(app) == searched and "similar" not in app.query_one(StatusLine).text
            assert app.query_one(SearchBar).value == "nan loss"

    asyncio.run(scenario())


def test_similar_items_left_with_escape_before_they_come_stay_away(
    small_kb: KnowledgeBase,
) -> None:
    async def scenario() -> None:
        app, slow = held_app(small_kb, "similar")
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            searched = hit_ids(app)
            await pilot.press("enter", "s", "escape")  # changed their mind
            slow.release.set()
            await settle(pilot)
            assert hit_ids(app) == searched and "similar" not in app.query_one(StatusLine).text

    asyncio.run(scenario())


def test_a_detail_that_comes_late_does_not_cover_a_newer_search(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app, slow = held_app(small_kb, "get")
        async with app.run_test() as pilot:
            await search(pilot, "drift")
            slow.release.set()  # the first hit's preview
            await settle(pilot)
            slow.release.clear()
            await pilot.press("enter", "j", "enter")  # open the second hit: held
            await new_search(pilot, "nan loss")
            slow.release.set()
            await settle(pilot)
            assert not isinstance(app.screen, DetailScreen) and view(app) == "results"

    asyncio.run(scenario())


def test_back_from_similar_items_opened_in_browse_lands_in_the_search_box(
    small_kb: KnowledgeBase,
) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await settle(pilot)
            await pilot.press("escape", "b")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("j", "s")
            await settle(pilot)
            assert "similar to" in app.query_one(StatusLine).text
            await pilot.press("escape")
            await settle(pilot)
            assert view(app) == "welcome" and isinstance(app.focused, SearchBar)

    asyncio.run(scenario())


def test_an_empty_list_of_similar_items_shows_no_earlier_detail(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test(size=(120, 30)) as pilot:
            await search(pilot, "fine-tune a large model on one gpu")
            pane = app.query_one("#results-detail", DetailPane)
            assert pane.markdown_text  # the first hit's detail
            app.query_one(FilterBar).set_filter("area", "llm")  # one recipe in the area
            await settle(pilot)
            await pilot.press("enter", "s")
            await settle(pilot)
            assert hit_ids(app) == [] and pane.markdown_text == ""

    asyncio.run(scenario())


def test_the_cursor_stops_at_either_end_of_the_list(fake_kb: KnowledgeBase) -> None:
    """OptionList wraps around; here the top would jump to the last hit and fetch a page."""

    async def scenario() -> None:
        app = app_for(fake_kb)
        async with app.run_test(size=(100, 30)) as pilot:
            await search(pilot, "drift")
            await pilot.press("enter", "k", "up")
            await settle(pilot)
            results = app.query_one(ResultsList)
            assert results.highlighted == 0 and len(hit_ids(app)) == 20

    asyncio.run(scenario())


def test_j_and_k_move_through_the_example_queries(small_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test() as pilot:
            await settle(pilot)
            await pilot.press("escape")  # from the empty search box to the examples
            examples = app.query_one(ExampleList)
            assert app.focused is examples and examples.highlighted == 0
            await pilot.press("j", "j", "k")
            assert examples.highlighted == 1

    asyncio.run(scenario())


def test_a_retry_that_opens_the_store_gives_the_search_box_the_focus(
    small_kb: KnowledgeBase,
) -> None:
    attempts = iter([StoreLocked("the store is in use by process 42"), small_kb])

    def opener() -> KnowledgeBase:
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def scenario() -> None:
        app = MlkbApp(opener, close_on_exit=False, show_timings=False)
        async with app.run_test() as pilot:
            await settle(pilot)
            assert view(app) == "error"
            await pilot.press("r")
            await settle(pilot)
            assert app.ready and isinstance(app.focused, SearchBar)
            await pilot.press(*"drift")
            await settle(pilot)
            assert view(app) == "results"

    asyncio.run(scenario())


def test_an_input_error_too_long_for_the_status_line_is_shown_whole(
    small_kb: KnowledgeBase,
) -> None:
    async def scenario() -> None:
        app = app_for(small_kb)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.query_one(SearchBar).value = "drift " * 2500  # past the 10,000 characters
            await settle(pilot)
            shown = [n.message for n in app._notifications]
            assert any("10,000" in message for message in shown), shown

    asyncio.run(scenario())
