"""Filters by kind, area and source, in one compact row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, Select

from mlkb.schema import Area, Kind, SearchRequest
from mlkb.store.base import Filters


@dataclass(frozen=True)
class FilterState:
    """The chosen filters; ``None`` means any."""

    kind: str | None = None
    area: str | None = None
    source: str | None = None

    def request(self, query: str, k: int) -> SearchRequest:
        """A search request for ``query`` with these filters."""
        return SearchRequest(
            query=query,
            k=k,
            kind=[Kind(self.kind)] if self.kind else [],
            area=[Area(self.area)] if self.area else [],
            source=[self.source] if self.source else [],
        )

    def filters(self) -> Filters:
        """The store filters for similar items."""
        return Filters(
            kind=[self.kind] if self.kind else [],
            area=[self.area] if self.area else [],
            source=[self.source] if self.source else [],
        )

    def describe(self) -> str:
        """``kind=recipe, area=monitoring`` or an empty string."""
        parts = [
            f"{name}={value}"
            for name, value in (("kind", self.kind), ("area", self.area), ("source", self.source))
            if value
        ]
        return ", ".join(parts)


class FilterBar(Horizontal):
    """Three selects; posts ``Changed`` with the new ``FilterState``."""

    DEFAULT_CSS = """
    FilterBar {
        height: 1;
        padding: 0 1;
        background: $surface;
        Label { color: $text-muted; padding: 0 1 0 0; }
        Select { width: 1fr; max-width: 22; margin: 0 2 0 0; }
    }
    """

    @dataclass
    class Changed(Message):
        """The filters changed."""

        state: FilterState

    def compose(self) -> ComposeResult:
        yield Label("Filter")
        yield Select([(k.value, k.value) for k in Kind], prompt="any kind", compact=True, id="kind")
        yield Select([(a.value, a.value) for a in Area], prompt="any area", compact=True, id="area")
        yield Select([], prompt="any source", compact=True, id="source")

    @property
    def state(self) -> FilterState:
        """The current filters."""
        return FilterState(**{name: self._value(name) for name in ("kind", "area", "source")})

    def _value(self, name: str) -> str | None:
        value = self.query_one(f"#{name}", Select).value
        return value if isinstance(value, str) else None

    def set_sources(self, sources: Iterable[str]) -> None:
        """Offer these sources (from the store's statistics)."""
        select = self.query_one("#source", Select)
        select.set_options([(s, s) for s in sorted(sources)])

    def set_filter(self, name: str, value: str | None) -> None:
        """Choose a value for one filter (``None`` clears it)."""
        select = self.query_one(f"#{name}", Select)
        if value is None:
            select.clear()
        else:
            select.value = value

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.state))
