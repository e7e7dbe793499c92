"""Recipes grouped by area, as a tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree

from mlkb.schema import Area, Recipe


class AreaTree(Tree[Recipe | None]):
    """Areas with their recipe counts; each recipe a leaf."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    AreaTree {
        width: 2fr;
        min-width: 30;
        max-width: 60;
        height: 1fr;
        background: $surface;
        border-right: vkey $foreground 15%;
        padding: 0 1;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        &:focus { border-right: vkey $primary; background-tint: transparent; }
    }
    """

    @dataclass
    class RecipeHighlighted(Message):
        """The cursor is on this recipe."""

        recipe: Recipe

    @dataclass
    class RecipeOpened(Message):
        """Enter on this recipe."""

        recipe: Recipe

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("Areas", **kwargs)
        self.show_root = False

    def load(self, recipes: Iterable[Recipe]) -> None:
        """Fill the tree: each area that has recipes, its count, its recipes by title."""
        by_area: dict[str, list[Recipe]] = {a.value: [] for a in Area}
        for recipe in recipes:
            by_area.setdefault(recipe.area.value, []).append(recipe)
        self.clear()
        for area, items in by_area.items():
            if not items:
                continue
            label = Text.assemble((area, "bold"), " ", (str(len(items)), "dim"))
            node = self.root.add(label, data=None, expand=False)
            for recipe in sorted(items, key=lambda r: r.title.lower()):
                node.add_leaf(Text(recipe.title), data=recipe)
        self.move_cursor(self.root.children[0] if self.root.children else None)

    @property
    def areas(self) -> list[str]:
        """The area labels, in order."""
        return [str(node.label).split(" ")[0] for node in self.root.children]

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[Recipe | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.RecipeHighlighted(event.node.data))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[Recipe | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.RecipeOpened(event.node.data))
