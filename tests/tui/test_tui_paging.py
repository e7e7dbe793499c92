"""The TUI lists 20 hits at a time and fetches the next page when the cursor reaches the last."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mlkb import KnowledgeBase
from mlkb.errors import StoreUnavailable
from mlkb.schema import SearchRequest, SearchResult
from mlkb.store.base import Filters
from tests.tui.tui_helpers import app_for, hit_ids, search, settle
from tui import MlkbApp
from tui.widgets.filter_bar import FilterBar
from tui.widgets.results_list import ResultsList
from tui.widgets.status_line import StatusLine


async def to_last_hit(pilot: Any) -> None:
    """Jump the cursor to the last listed hit and let the next page arrive."""
    pilot.app.query_one(ResultsList).focus()
    await pilot.press("end")
    await settle(pilot)


def test_the_last_hit_brings_the_next_page_of_the_same_ranking(fake_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(fake_kb)
        async with app.run_test(size=(100, 30)) as pilot:
            await search(pilot, "drift")
            assert len(hit_ids(app)) == 20
            assert app.query_one(StatusLine).text.startswith("20+ hits for “drift”")
            await to_last_hit(pilot)
            whole = fake_kb.search(SearchRequest(query="drift", k=40))
            assert hit_ids(app) == [h.id for h in whole.hits]
            assert app.query_one(ResultsList).highlighted == 19  # the cursor stayed put
            assert app.query_one(StatusLine).text.startswith("40+ hits for “drift”")

    asyncio.run(scenario())


def test_similar_items_page_until_the_list_ends(fake_kb: KnowledgeBase) -> None:
    """23 monitoring recipes: 20 similar to one of them, then the other 2, and no more."""

    async def scenario() -> None:
        app = app_for(fake_kb)
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one(FilterBar).set_filter("area", "monitoring")
            await search(pilot, "drift psi pricing")
            first = hit_ids(app)[0]
            await pilot.press("enter", "s")  # the list, then similar to its first hit
            await settle(pilot)
            status = app.query_one(StatusLine).text
            assert status.startswith("20+ items similar to"), status
            await to_last_hit(pilot)
            others = fake_kb.stats()["by_area"]["monitoring"] - 1
            assert len(hit_ids(app)) == len(set(hit_ids(app))) == others
            assert first not in hit_ids(app)
            assert app.query_one(StatusLine).text.startswith(f"{others} items similar to")
            await to_last_hit(pilot)  # the list has ended: nothing more is asked for
            assert len(hit_ids(app)) == others

    asyncio.run(scenario())


class FailsPastFirstPage:
    """A knowledge base whose later pages fail, as a server that went away would."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.later_pages_asked = 0

    def search(self, request: SearchRequest) -> SearchResult:
        if request.offset:
            self.later_pages_asked += 1
            raise StoreUnavailable("the mlkb server at 127.0.0.1:8765 does not answer")
        return self.kb.search(request)

    def similar(
        self, item_id: str, k: int = 10, filters: Filters = Filters(), *, offset: int = 0
    ) -> SearchResult:
        return self.kb.similar(item_id, k, filters, offset=offset)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kb, name)


def test_a_page_that_fails_keeps_the_listed_hits_and_says_why(fake_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        kb = FailsPastFirstPage(fake_kb)
        app = MlkbApp(lambda: kb, close_on_exit=False, show_timings=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await search(pilot, "drift")
            listed = hit_ids(app)
            await to_last_hit(pilot)
            assert hit_ids(app) == listed and kb.later_pages_asked == 1
            assert "does not answer" in app.query_one(StatusLine).text
            # moving off the last hit and back asks again
            await pilot.press("up")
            await to_last_hit(pilot)
            assert hit_ids(app) == listed and kb.later_pages_asked == 2

    asyncio.run(scenario())


@pytest.mark.slow
def test_real_model_next_page_continues_the_ranking(real_kb: KnowledgeBase) -> None:
    async def scenario() -> None:
        app = app_for(real_kb)
        async with app.run_test(size=(100, 30)) as pilot:
            await search(pilot, "drift detection for pricing")
            await to_last_hit(pilot)
            whole = real_kb.search(SearchRequest(query="drift detection for pricing", k=40))
            assert hit_ids(app) == [h.id for h in whole.hits]

    asyncio.run(scenario())
