"""The view for an empty query: what mlkb holds, and queries to try."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static

from tui._text import EXAMPLES


class ExampleList(OptionList):
    """The example queries; j and k move through them as through the results."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class Welcome(VerticalScroll):
    """A greeting, the corpus at a glance, and example queries (enter runs one)."""

    DEFAULT_CSS = """
    Welcome {
        height: 1fr;
        padding: 1 2;
        align-horizontal: center;
        & > * { max-width: 76; }
        #welcome-title { text-style: bold; color: $primary; }
        #welcome-tagline { color: $text-muted; margin-bottom: 1; }
        #welcome-stats { margin-bottom: 1; }
        #welcome-try { color: $text-secondary; text-style: bold; }
        #welcome-examples {
            height: auto; border: none; background: transparent; padding: 0;
            &:focus { background-tint: transparent; }
        }
        #welcome-keys { color: $text-muted; margin-top: 1; }
    }
    """

    @dataclass
    class ExampleChosen(Message):
        """Search for this example query."""

        query: str

    def compose(self) -> ComposeResult:
        yield Static("mlkb", id="welcome-title")
        yield Static("Who has solved a problem like mine, and how?", id="welcome-tagline")
        yield Static("Opening the knowledge base…", id="welcome-stats")
        yield Static("Try one of these", id="welcome-try")
        yield ExampleList(*[f"› {q}" for q in EXAMPLES], id="welcome-examples")
        yield Static(
            Content.from_markup(
                "Type to search; [b]↓[/b] or [b]enter[/b] moves to the list. Out of the search "
                "box: [b]b[/b] browses recipes by area, [b]?[/b] lists the keys, [b]q[/b] quits."
            ),
            id="welcome-keys",
        )

    def set_stats(self, stats: dict[str, Any], backend: str) -> None:
        """Show how many recipes, documents and areas the store holds."""
        areas = len([a for a, n in (stats.get("by_area") or {}).items() if n])
        text = (
            f"[b]{stats.get('recipes', 0)}[/b] recipes in [b]{areas}[/b] areas · "
            f"[b]{stats.get('documents', 0)}[/b] documents "
            f"([b]{stats.get('chunks', 0)}[/b] chunks) · $backend"
        )
        self.query_one("#welcome-stats", Static).update(Content.from_markup(text, backend=backend))

    @on(OptionList.OptionSelected, "#welcome-examples")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.ExampleChosen(EXAMPLES[event.option_index]))
