"""The lists of hits the user can come back to, and how each fetches its next page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mlkb.schema import Hit, SearchResult


@dataclass(eq=False)
class ResultView:
    """One list of hits: the answer so far, its status line, where the cursor was, and
    ``more``, which fetches the page at an offset (the same search or similar items)."""

    result: SearchResult
    status_of: Callable[[SearchResult], str]
    more: Callable[[int], SearchResult]
    at: int = 0
    loading: bool = False

    @property
    def status(self) -> str:
        """The status line for the hits listed so far."""
        return self.status_of(self.result)

    @property
    def has_more(self) -> bool:
        """True while the ranking goes on past the listed hits."""
        return self.result.next_offset is not None

    def extend(self, page: SearchResult) -> list[Hit]:
        """Append a later page; returns the hits it added (ranks never repeat, but a store
        written between two pages could shift an item into the next one)."""
        listed = {hit.id for hit in self.result.hits}
        added = [hit for hit in page.hits if hit.id not in listed]
        self.result = self.result.model_copy(
            update={"hits": [*self.result.hits, *added], "next_offset": page.next_offset}
        )
        return added


@dataclass
class ViewHistory:
    """The search's results and the similar-items lists opened from them, newest last."""

    search: ResultView | None = None
    similar: list[ResultView] = field(default_factory=list)

    @property
    def current(self) -> ResultView | None:
        """The list on show (or last shown)."""
        return self.similar[-1] if self.similar else self.search

    def new_search(self, view: ResultView | None) -> None:
        """A new query: the similar lists opened from the old one go."""
        self.search = view
        self.similar.clear()

    def push_similar(self, view: ResultView, cursor_at: int) -> None:
        """Open similar items, remembering where the cursor was on the list left."""
        if self.current is not None:
            self.current.at = cursor_at
        self.similar.append(view)

    def back(self) -> ResultView | None:
        """Leave the newest similar list; returns the list to show again."""
        self.similar.pop()
        return self.current
