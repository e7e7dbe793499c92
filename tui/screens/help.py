"""Every key, in one place (``?``)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

KEYS = """\
# Keys

| key | what it does |
|---|---|
| `/` | focus the search box |
| `↑` `↓` or `j` `k` | move through results (or scroll a detail) |
| `home` `end` | first or last result; the last brings the next 20 |
| `enter` | open the highlighted item in full |
| `s` | show items similar to the highlighted one |
| `o` | open its URL in a browser (a recipe's first reference) |
| `y` | copy its id to the clipboard |
| `b` | browse recipes by area |
| `tab` | move between search, filters, results and detail |
| `escape` | back: leave a detail, similar items, or the results |
| `?` | this help |
| `q` | quit |

Search runs as you type; `20+ hits` means more follow below the last. Filters narrow
by kind (recipe, paper, model card, guide, note), recipe area, and source. Press `escape`
to close this help.
"""


class HelpScreen(ModalScreen[None]):
    """A table of keys over the current screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 72; max-width: 95%; height: auto; max-height: 90%;
            border: round $primary; background: $surface; padding: 0 1;
            border-title-color: $primary;
        }
    }
    """

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        scroll.border_title = "Help"
        with scroll:
            yield Markdown(KEYS)
