"""The view for a query that found nothing: what to try instead."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class NoResults(Static):
    """No hits, and hints."""

    DEFAULT_CSS = """
    NoResults {
        height: 1fr;
        padding: 1 2;
        color: $text;
    }
    """

    def show(self, query: str, filters: str) -> None:
        """Explain that ``query`` (with ``filters``) found nothing."""
        hints = ["Use fewer or more general words, or describe the symptom you see."]
        if filters:
            hints.append(f"Drop a filter ({filters}): they narrow the search.")
        hints += [
            "Press [b]b[/b] to browse recipes by area.",
            "Add your own recipe with `mlkb recipe new`.",
        ]
        body = "\n".join(f"  • {h}" for h in hints)
        self.update(
            Content.from_markup(
                "[b $warning]No results[/] for [b]$query[/b]\n\n" + body, query=query
            )
        )
