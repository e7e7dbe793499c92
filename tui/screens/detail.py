"""One item in full: a recipe, or the chunk a hit points to."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from mlkb.schema import Recipe
from tui.messages import CopyId, OpenLink, ShowSimilar
from tui.widgets.detail_pane import DetailPane


class DetailScreen(Screen[None]):
    """The detail of one item, full width; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("s", "similar", "Similar"),
        Binding("o", "open_link", "URL"),
        Binding("y", "copy_id", "Copy id"),
    ]

    DEFAULT_CSS = """
    DetailScreen DetailPane {
        width: 1fr;
        border: round $primary 50%;
        border-title-color: $primary;
        padding: 0 1;
        &:focus { border: round $primary; }
    }
    """

    def __init__(self, item_id: str, title: str, markdown: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.item_title = title
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        pane = DetailPane(self.markdown, id="detail")
        pane.border_title = self.item_id
        yield pane
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.query_one(DetailPane).focus()

    def action_similar(self) -> None:
        """Show items similar to this one."""
        self.post_message(ShowSimilar(self.item_id, self.item_title))

    def action_open_link(self) -> None:
        """Open this item's URL."""
        self.post_message(OpenLink(self.item_id))

    def action_copy_id(self) -> None:
        """Copy this item's id."""
        self.post_message(CopyId(self.item_id))

    @classmethod
    def for_recipe(cls, recipe: Recipe) -> DetailScreen:
        """The detail screen of a recipe."""
        from tui._text import item_markdown

        return cls(recipe.id, recipe.title, item_markdown(recipe))
