"""A scrollable markdown view of one recipe or chunk."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Markdown


class DetailPane(VerticalScroll, can_focus=True):
    """Renders markdown; j/k and the arrows scroll it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll", show=False),
        Binding("k", "scroll_up", "Scroll", show=False),
    ]

    DEFAULT_CSS = """
    DetailPane {
        width: 3fr;
        height: 1fr;
        background: $background;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        Markdown { margin: 0; padding: 0; background: transparent; }
        MarkdownH1 {
            content-align: left top; text-align: left; margin: 1 0 0 0; padding: 0;
            color: $primary; text-style: bold; background: transparent; border: none;
        }
        MarkdownH2 { margin: 1 0 0 0; padding: 0; }
        MarkdownTable { margin: 0; }
        &:focus { background-tint: $primary 3%; }
    }
    """

    def __init__(self, placeholder: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._placeholder = placeholder
        self.markdown_text = placeholder

    def compose(self) -> ComposeResult:
        yield Markdown(self._placeholder, open_links=True)

    async def show_markdown(self, text: str) -> None:
        """Show ``text`` from its top."""
        self.markdown_text = text
        await self.query_one(Markdown).update(text)
        self.scroll_home(animate=False)
