"""Fixtures for the TUI tests: a small fixed corpus that does not move with the seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlkb import KnowledgeBase
from mlkb.seeds import load_recipes

RECIPES = Path(__file__).parent / "recipes"


@pytest.fixture
def small_kb(empty_kb: KnowledgeBase) -> KnowledgeBase:
    """An embedded store holding only the five recipes under tests/tui/recipes (fake embedder).

    Snapshots use it so they do not change when the shipped seeds do."""
    report = load_recipes([RECIPES])
    assert not report.errors
    empty_kb.add_recipes(report.recipes)
    return empty_kb
