"""The footer names every key of the focused view, down to an 80-column terminal."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets._footer import FooterKey

from mlkb import KnowledgeBase
from tests.tui.tui_helpers import app_for, settle


@pytest.mark.parametrize("keys", [("enter",), ("enter", "enter")], ids=["results", "detail"])
def test_every_footer_key_fits_80_columns(small_kb: KnowledgeBase, keys: tuple[str, ...]) -> None:
    async def scenario() -> list[tuple[str, int, int]]:
        app = app_for(small_kb)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, rounds=1)
            await pilot.press(*"drift psi pricing")
            await settle(pilot, rounds=2)
            for key in keys:
                await pilot.press(key)
                await settle(pilot, rounds=2)
            keys_shown = app.screen.query(FooterKey)
            return [(k.description, k.region.x, k.region.right) for k in keys_shown]

    shown = asyncio.run(scenario())
    assert {"Back", "Help", "Quit", "Similar"} <= {label for label, _, _ in shown}, shown
    cut = [label for label, left, right in shown if right > 80 or right <= left]
    assert not cut, f"cut at 80 columns: {cut} of {shown}"
