"""Explore the corpus by area: a tree of areas and their recipes, the recipe beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from mlkb.errors import MlkbError
from mlkb.schema import Recipe
from tui._text import item_markdown
from tui.messages import CopyId, OpenDetail, OpenLink, ShowSimilar
from tui.widgets.area_tree import AreaTree
from tui.widgets.detail_pane import DetailPane
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app import MlkbApp

PAGE = 100


class BrowseScreen(Screen[None]):
    """Recipes by area; enter opens one, s finds similar ones."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("s", "similar", "Similar"),
        Binding("o", "open_link", "URL"),
        Binding("y", "copy_id", "Copy id"),
    ]

    DEFAULT_CSS = """
    BrowseScreen Horizontal { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.recipe: Recipe | None = None

    @property
    def mlkb(self) -> MlkbApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield AreaTree(id="area-tree")
            yield DetailPane("Pick an area, then a recipe.", id="browse-detail")
        yield StatusLine(id="browse-status")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.query_one(AreaTree).focus()
        self.query_one(StatusLine).busy("Loading recipes…")
        self._load()

    @work(thread=True, exclusive=True, group="browse")
    def _load(self) -> None:
        recipes: list[Recipe] = []
        try:
            while True:
                page, total = self.mlkb.kb.list_recipes(limit=PAGE, offset=len(recipes))
                recipes += page
                if not page or len(recipes) >= total:
                    break
        except MlkbError as exc:
            self.app.call_from_thread(self.query_one(StatusLine).error, exc.message)
            return
        self.app.call_from_thread(self._loaded, recipes)

    def _loaded(self, recipes: list[Recipe]) -> None:
        tree = self.query_one(AreaTree)
        tree.load(recipes)
        areas = len({r.area for r in recipes})
        self.query_one(StatusLine).done(
            f"{len(recipes)} recipes in {areas} areas · enter expands an area or opens a recipe"
        )

    @on(AreaTree.RecipeHighlighted)
    async def _show(self, event: AreaTree.RecipeHighlighted) -> None:
        self.recipe = event.recipe
        await self.query_one(DetailPane).show_markdown(item_markdown(event.recipe))

    @on(AreaTree.RecipeOpened)
    def _open(self, event: AreaTree.RecipeOpened) -> None:
        self.post_message(OpenDetail(event.recipe.id))

    def action_similar(self) -> None:
        """Show recipes and documents similar to the highlighted recipe."""
        if self.recipe is not None:
            self.post_message(ShowSimilar(self.recipe.id, self.recipe.title))

    def action_open_link(self) -> None:
        """Open the highlighted recipe's first reference."""
        if self.recipe is not None:
            self.post_message(OpenLink(self.recipe.id))

    def action_copy_id(self) -> None:
        """Copy the highlighted recipe's id."""
        if self.recipe is not None:
            self.post_message(CopyId(self.recipe.id))
