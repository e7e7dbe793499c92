"""Helpers for the TUI tests."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import ContentSwitcher

from mlkb import KnowledgeBase
from tui import MlkbApp
from tui.widgets.results_list import ResultsList


def app_for(kb: KnowledgeBase) -> MlkbApp:
    """The app on an already open knowledge base (the fixture closes it), without timings."""
    return MlkbApp(lambda: kb, close_on_exit=False, show_timings=False)


async def settle(pilot: Pilot[None], rounds: int = 3) -> None:
    """Let the debounce fire and every worker finish, then let the screen refresh.

    On a loaded machine the debounce timer can fire late, so this waits until the app is
    quiet (no pending debounce, no worker, no spinner) for ``rounds`` checks in a row,
    for at most 30 s."""
    from tui.widgets.search_bar import SearchBar
    from tui.widgets.status_line import StatusLine

    quiet = 0
    for _ in range(300):
        await pilot.pause(0.1)
        await pilot.app.workers.wait_for_complete()
        bars = pilot.app.query(SearchBar)
        pending = bool(bars) and bars.first()._timer is not None  # debounce not fired yet
        statuses = pilot.app.query(StatusLine)
        busy = bool(statuses) and statuses.first().is_busy
        quiet = 0 if (pending or busy) else quiet + 1
        if quiet >= rounds:
            break
    await pilot.pause()


def view(app: MlkbApp) -> str | None:
    """The view on show: welcome, results, empty or error."""
    return app.query_one(ContentSwitcher).current


def hit_ids(app: MlkbApp) -> list[str]:
    """The ids of the listed hits, in order."""
    return [h.id for h in app.query_one(ResultsList).hits]


async def search(pilot: Pilot[None], query: str) -> None:
    """Wait for the store, type ``query`` and let the search finish."""
    await settle(pilot, rounds=1)
    await pilot.press(*query)
    await settle(pilot)
