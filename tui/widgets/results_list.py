"""The ranked hits: title, kind badge, area or source, score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mlkb.schema import Hit
from tui._text import hit_prompt


class ResultsList(OptionList):
    """A list of hits; posts ``HitHighlighted`` as the cursor moves and ``HitOpened`` on enter."""

    # The arrows go without saying (the help lists j/k); the footer keeps its 80 columns
    # for the keys a user could not guess.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("enter", "select", "Open"),
    ]

    DEFAULT_CSS = """
    ResultsList {
        width: 40%;
        min-width: 34;
        max-width: 64;
        height: 1fr;
        border: none;
        border-right: vkey $foreground 15%;
        background: $surface;
        padding: 0;
        scrollbar-size-vertical: 1;
        & > .option-list--option { padding: 0 1; }
        &:focus { border: none; border-right: vkey $primary; background-tint: transparent; }
    }
    """

    @dataclass
    class HitHighlighted(Message):
        """The cursor is on this hit."""

        hit: Hit

    @dataclass
    class HitOpened(Message):
        """Enter (or a click) on this hit."""

        hit: Hit

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hits: list[Hit] = []

    def show(self, hits: list[Hit], at: int = 0) -> None:
        """Replace the list with these hits and put the cursor on hit ``at`` (the first, or
        where it was when the user left this list)."""
        self.hits = list(hits)
        self.clear_options()
        options: list[Option | None] = []
        for i, hit in enumerate(self.hits):
            if i:
                options.append(None)
            options.append(Option(hit_prompt(hit), id=str(i)))
        self.add_options(options)
        if self.hits:
            self.highlighted = min(at, len(self.hits) - 1)

    def extend(self, hits: list[Hit]) -> None:
        """Append a later page below the listed hits; the cursor stays where it is."""
        options: list[Option | None] = []
        for i, hit in enumerate(hits, start=len(self.hits)):
            if i:
                options.append(None)
            options.append(Option(hit_prompt(hit), id=str(i)))
        self.hits.extend(hits)
        self.add_options(options)

    def action_cursor_up(self) -> None:
        """Up, stopping at the first hit (OptionList wraps to the last, which here would
        fetch the next page)."""
        if self.highlighted:
            super().action_cursor_up()

    def action_cursor_down(self) -> None:
        """Down, stopping at the last hit, where the next page arrives."""
        if self.highlighted is None or self.highlighted < len(self.hits) - 1:
            super().action_cursor_down()

    @property
    def current(self) -> Hit | None:
        """The hit under the cursor."""
        index = self.highlighted
        return self.hits[index] if index is not None and index < len(self.hits) else None

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index < len(self.hits):
            self.post_message(self.HitHighlighted(self.hits[event.option_index]))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.hits):
            self.post_message(self.HitOpened(self.hits[event.option_index]))
