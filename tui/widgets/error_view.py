"""The view shown when the knowledge base cannot be opened or reached."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from mlkb.errors import MlkbError, StoreLocked, StoreUnavailable

HINTS: dict[type[MlkbError], str] = {
    StoreLocked: "Another mlkb process holds the embedded store. Close it, or run "
    "`mlkb serve` and start `mlkb tui` again: it will go through the server.",
    StoreUnavailable: "Start the server with `mlkb serve`, or unset MLKB_API_URL to use "
    "the embedded store.",
}


class ErrorView(Static):
    """What went wrong and how to fix it."""

    DEFAULT_CSS = """
    ErrorView {
        height: 1fr;
        padding: 1 2;
        border: round $error;
        border-title-color: $error;
        margin: 1 2;
    }
    """

    def show(self, error: MlkbError) -> None:
        """Show ``error`` with a hint for its kind."""
        self.border_title = "Cannot use the knowledge base"
        hint = next((h for cls, h in HINTS.items() if isinstance(error, cls)), "")
        markup = "[b $text-error]$message[/]"
        if hint:
            markup += "\n\n$hint"
        markup += "\n\nPress [b]r[/b] to try again, [b]q[/b] to quit."
        self.update(Content.from_markup(markup, message=error.message, hint=hint))
