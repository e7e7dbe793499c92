"""Results on the left, the highlighted item on the right; the actions on the current hit."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal

from mlkb.schema import Hit
from tui.messages import CopyId, OpenLink, ShowSimilar
from tui.widgets.detail_pane import DetailPane
from tui.widgets.results_list import ResultsList


class ResultsView(Horizontal):
    """A results list and a detail pane; s, o and y act on the hit under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "similar", "Similar"),
        Binding("o", "open_link", "URL"),
        Binding("y", "copy_id", "Copy id"),
    ]

    DEFAULT_CSS = """
    ResultsView { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield ResultsList(id="results-list")
        yield DetailPane(id="results-detail")

    @property
    def current(self) -> Hit | None:
        """The hit under the cursor."""
        return self.query_one(ResultsList).current

    def action_similar(self) -> None:
        """Show items similar to the current hit."""
        if (hit := self.current) is not None:
            self.post_message(ShowSimilar(hit.id, hit.title))

    def action_open_link(self) -> None:
        """Open the current hit's URL."""
        if (hit := self.current) is not None:
            self.post_message(OpenLink(hit.id))

    def action_copy_id(self) -> None:
        """Copy the current hit's id."""
        if (hit := self.current) is not None:
            self.post_message(CopyId(hit.id))
