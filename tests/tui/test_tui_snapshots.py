"""SVG snapshots of the views where the look matters, on a small fixed corpus.

Update them after a deliberate change with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input

from mlkb import KnowledgeBase
from tests.tui.tui_helpers import app_for, settle

SnapCompare = Callable[..., bool]


def typing(text: str = "", *keys: str) -> Callable[[Pilot[None]], object]:
    """A run_before that waits for the store, types ``text``, then presses ``keys``, letting
    the searches and workers finish after each step.

    The cursor blink is stopped at the end (which hides the cursor): its phase depends on
    how fast the machine ran the steps, so it would make the picture differ from run to run."""

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot, rounds=1)
        if text:
            await pilot.press(*text)
            await settle(pilot, rounds=2)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, rounds=2)
        for field in pilot.app.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def test_welcome_view(snap_compare: SnapCompare, small_kb: KnowledgeBase) -> None:
    assert snap_compare(app_for(small_kb), terminal_size=(80, 24), run_before=typing())


def test_results_view(snap_compare: SnapCompare, small_kb: KnowledgeBase) -> None:
    assert snap_compare(
        app_for(small_kb), terminal_size=(80, 24), run_before=typing("drift psi pricing")
    )


def test_results_view_large_terminal(snap_compare: SnapCompare, small_kb: KnowledgeBase) -> None:
    assert snap_compare(
        app_for(small_kb), terminal_size=(120, 40), run_before=typing("drift psi pricing", "enter")
    )


def test_recipe_detail(snap_compare: SnapCompare, small_kb: KnowledgeBase) -> None:
    assert snap_compare(
        app_for(small_kb),
        terminal_size=(80, 24),
        run_before=typing("drift psi pricing", "enter", "enter"),
    )
