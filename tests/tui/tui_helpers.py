"""Helpers for the TUI tests."""

from __future__ import annotations

from textual.pilot import Pilot

from mlkb import KnowledgeBase
from tui import MlkbApp


def app_for(kb: KnowledgeBase) -> MlkbApp:
    """The app on an already open knowledge base (the fixture closes it), without timings."""
    return MlkbApp(lambda: kb, close_on_exit=False, show_timings=False)


async def settle(pilot: Pilot[None], rounds: int = 3) -> None:
    """Let the debounce fire and every worker finish, then let the screen refresh."""
    for _ in range(rounds):
        await pilot.pause(0.2)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()
