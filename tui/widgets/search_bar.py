"""The search input: posts the query once typing pauses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

DEBOUNCE_SECONDS = 0.15


class SearchBar(Input):
    """An input that posts ``QueryChanged`` after a short pause, or at once on enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "app.focus_list", "To results", show=False)
    ]

    DEFAULT_CSS = """
    SearchBar {
        border: round $primary 50%;
        background: $surface;
        padding: 0 1;
        &:focus { border: round $primary; }
    }
    """

    @dataclass
    class QueryChanged(Message):
        """The query to search for (stripped; empty means "show the welcome view")."""

        query: str
        submitted: bool = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            placeholder="Describe your problem, e.g. drift detection for pricing", **kwargs
        )
        self.border_title = "mlkb · search"
        self._timer: Timer | None = None

    @on(Input.Changed)
    def _debounce(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._post_query)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.post_message(self.QueryChanged(self.value.strip(), submitted=True))

    def _post_query(self) -> None:
        self._timer = None
        self.post_message(self.QueryChanged(self.value.strip()))
