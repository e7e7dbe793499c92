"""Results on the left, the highlighted item on the right; the actions on the current hit;
the next page when the cursor reaches the last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.worker import get_current_worker

from mlkb.errors import MlkbError, NotFound
from mlkb.schema import DocumentView, Hit, Recipe, SearchResult
from tui._text import item_markdown
from tui._views import ResultView
from tui.messages import CopyId, Failed, OpenLink, ShowSimilar
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

    @dataclass
    class Status(Message):
        """What the status line should say about the list (``busy`` while a page loads)."""

        text: str
        busy: bool = False

    def __init__(self, fetch: Callable[[str], Recipe | DocumentView], **kwargs: Any) -> None:
        """``fetch`` returns the item with an id (called from a worker thread)."""
        super().__init__(**kwargs)
        self._fetch = fetch
        self.view: ResultView | None = None

    def compose(self) -> ComposeResult:
        yield ResultsList(id="results-list")
        yield DetailPane(id="results-detail")

    @on(ResultsList.HitHighlighted)
    def _hit_highlighted(self, event: ResultsList.HitHighlighted) -> None:
        self._load_detail(event.hit)
        self._more_wanted(event.hit)

    @work(thread=True, exclusive=True, group="detail")
    def _load_detail(self, hit: Hit) -> None:
        try:
            markdown = item_markdown(self._fetch(hit.id), hit)
        except NotFound as exc:
            markdown = f"_{exc.message}_"
        except MlkbError as exc:
            self.post_message(Failed(exc))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_detail, hit, markdown)

    def _show_detail(self, hit: Hit, markdown: str) -> None:
        if self.current == hit:
            pane = self.query_one(DetailPane)
            self.run_worker(pane.show_markdown(markdown), group="render", exclusive=True)

    # -- the next page, fetched when the cursor reaches the last hit ----------------------
    def _more_wanted(self, hit: Hit) -> None:
        view, hits = self.view, self.query_one(ResultsList).hits
        if view is None or not view.has_more or view.loading or not hits or hits[-1] != hit:
            return
        view.loading = True
        self.post_message(self.Status(f"{view.status} · fetching more…", busy=True))
        self._load_more(view)

    @work(thread=True, group="more")
    def _load_more(self, view: ResultView) -> None:
        page: SearchResult | MlkbError
        try:
            page = view.more(view.result.next_offset or 0)
        except MlkbError as exc:
            page = exc
        self.app.call_from_thread(self._more_arrived, view, page)

    def _more_arrived(self, view: ResultView, page: SearchResult | MlkbError) -> None:
        view.loading = False
        shown = view is self.view and self.display  # not left for another list or view
        if isinstance(page, MlkbError):
            if shown:
                self.post_message(Failed(page))
            return
        added = view.extend(page)
        if shown:
            self.query_one(ResultsList).extend(added)
            self.post_message(self.Status(view.status))

    def show_view(self, view: ResultView) -> None:
        """List a view's hits, the cursor where it was; an empty list leaves no detail of
        an earlier hit beside it."""
        self.view = view
        self.query_one(ResultsList).show(view.result.hits, view.at)
        if not view.result.hits:
            self.workers.cancel_group(self, "detail")
            self.run_worker(self.query_one(DetailPane).show_markdown(""), group="render")

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
