"""The mlkb TUI: search as you type, read a recipe, jump to similar problems, browse by area.

Widgets post messages; the app reacts with ``@on`` handlers and runs every call to the
(synchronous) knowledge base in a thread worker, so the UI never blocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Footer
from textual.worker import get_current_worker

from mlkb.errors import InputError, MlkbError
from mlkb.schema import DocumentView, Hit, Recipe, SearchRequest
from tui._kb import KnowledgeBaseLike, backend_label, open_in_background
from tui._text import item_markdown, item_url, ready_status, search_status, similar_status
from tui._views import ResultView, ViewHistory
from tui.messages import CopyId, Failed, FromThread, OpenDetail, OpenLink, ShowSimilar
from tui.screens.browse import BrowseScreen
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen
from tui.widgets.error_view import ErrorView
from tui.widgets.filter_bar import FilterBar, FilterState
from tui.widgets.no_results import NoResults
from tui.widgets.results_list import ResultsList
from tui.widgets.results_view import ResultsView
from tui.widgets.search_bar import SearchBar
from tui.widgets.status_line import StatusLine
from tui.widgets.welcome import Welcome

RESULTS_K = 20


class MlkbApp(App[None]):
    """Browse and search an mlkb knowledge base from the terminal."""

    TITLE = "mlkb"
    CSS = "#views { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("b", "browse", "Browse"),
        Binding("escape", "go_back", "Back"),
        Binding("question_mark", "help", "Help"),
        Binding("r", "retry", "Retry", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        opener: Callable[[], KnowledgeBaseLike],
        *,
        close_on_exit: bool = True,
        show_timings: bool = True,
    ) -> None:
        """``opener`` returns the knowledge base; it runs on a thread once the app is up, so
        a locked store or an unreachable server shows as an error view, not a crash.
        ``show_timings=False`` leaves the milliseconds out of the status line (snapshots)."""
        super().__init__()
        self._opener = opener
        self._close_on_exit = close_on_exit
        self.show_timings = show_timings
        self._kb: KnowledgeBaseLike | None = None
        self.stats: dict[str, Any] = {}
        self.query_text = ""
        self._generation = 0
        self._focus_results = False
        self._items: dict[str, Recipe | DocumentView] = {}
        self._views = ViewHistory()  # the lists of hits escape goes back to
        self._similar_pending = False  # similar items asked for and not yet shown

    # -- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SearchBar(id="search")
        yield FilterBar(id="filters")
        with ContentSwitcher(initial="welcome", id="views"):
            yield Welcome(id="welcome")
            yield ResultsView(self.fetch, id="results")
            yield NoResults(id="empty")
            yield ErrorView(id="error")
        yield StatusLine(id="status")
        yield Footer(show_command_palette=False, compact=True)

    @property
    def kb(self) -> KnowledgeBaseLike:
        """The open knowledge base (only used once the app is ready)."""
        if self._kb is None:
            raise RuntimeError("the knowledge base is not open yet")
        return self._kb

    @property
    def ready(self) -> bool:
        """True once the knowledge base is open."""
        return self._kb is not None

    def on_mount(self) -> None:
        self.query_one(SearchBar).focus()
        self.query_one(StatusLine).busy("Opening the knowledge base…")
        self._open()

    def on_unmount(self) -> None:
        if self._kb is not None and self._close_on_exit:
            self._kb.close()

    # -- opening ------------------------------------------------------------------------
    def _open(self) -> None:
        status = self.query_one(StatusLine)
        open_in_background(
            self,
            self._opener,
            opened=self._opened,
            failed=self._failed,
            progress=lambda line: status.busy(f"{line}…"),
            close_on_exit=self._close_on_exit,
        )

    @on(FromThread)
    def _from_thread(self, message: FromThread) -> None:
        message.callback(*message.args)

    def _opened(self, kb: KnowledgeBaseLike, stats: dict[str, Any]) -> None:
        self._kb, self.stats = kb, stats
        self.query_one(Welcome).set_stats(stats, backend_label(kb))
        self.query_one(FilterBar).set_sources((stats.get("by_source") or {}).keys())
        self.query_one(StatusLine).done(self._ready_text())
        if self.focused is None:  # a retry after an error left nothing focused
            self.query_one(SearchBar).focus()
        if self.query_text:
            self._run_search()

    def _failed(self, exc: MlkbError) -> None:
        self.query_one(ErrorView).show(exc)
        self.query_one(ContentSwitcher).current = "error"
        self.query_one(StatusLine).error(exc.message)
        self.query_one(SearchBar).disabled = True
        self.notify(
            exc.message, title="Cannot open the knowledge base", severity="error", timeout=15
        )

    def _ready_text(self) -> str:
        return ready_status(self.stats, backend_label(self._kb))

    # -- searching ----------------------------------------------------------------------
    @on(SearchBar.QueryChanged)
    def _query_changed(self, event: SearchBar.QueryChanged) -> None:
        self.query_text = event.query
        self._focus_results = event.submitted
        self._run_search()

    @on(FilterBar.Changed)
    def _filters_changed(self) -> None:
        self._run_search()

    @on(Welcome.ExampleChosen)
    def _example(self, event: Welcome.ExampleChosen) -> None:
        bar = self.query_one(SearchBar)
        with bar.prevent(SearchBar.Changed):
            bar.value = event.query
        bar.focus()
        self.query_text = event.query
        self._run_search()

    def _run_search(self) -> None:
        if not self.ready:
            return
        self._generation, self._similar_pending = self._generation + 1, False
        self._views.new_search(None)
        if not self.query_text:
            self.workers.cancel_group(self, "search")
            self.query_one(ContentSwitcher).current = "welcome"
            self.query_one(StatusLine).done(self._ready_text())
            return
        self.query_one(StatusLine).busy(f"Searching for “{self.query_text}”…")
        self.query_one(ResultsView).view = None  # its pages no longer answer this query
        state = self.query_one(FilterBar).state
        self._search(state.request(self.query_text, RESULTS_K), state.describe(), self._generation)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, request: SearchRequest, filters: str, generation: int) -> None:
        worker = get_current_worker()
        start = time.perf_counter()
        try:
            result = self.kb.search(request)
        except MlkbError as exc:
            if not worker.is_cancelled:
                self.call_from_thread(self._call_failed, exc, generation)
            return
        took_shown = (time.perf_counter() - start) * 1000 if self.show_timings else None
        if not worker.is_cancelled:
            view = ResultView(
                result,
                status_of=lambda r: search_status(r, request.query, filters, took_shown),
                more=lambda offset: self.kb.search(request.model_copy(update={"offset": offset})),
            )
            self.call_from_thread(self._searched, view, filters, generation)

    def _searched(self, view: ResultView, filters: str, generation: int) -> None:
        if generation != self._generation:
            return  # a newer search is on its way
        if not view.result.hits:
            self.query_one(NoResults).show(self.query_text, filters)
            self.query_one(ContentSwitcher).current = "empty"
            self.query_one(StatusLine).done(view.status)
            return
        self._views.new_search(view)
        self._show_view(view)
        if self._focus_results:
            self.query_one(ResultsList).focus()
        self._focus_results = False

    def _show_view(self, view: ResultView) -> None:
        self.query_one(ContentSwitcher).current = "results"
        self.query_one(ResultsView).show_view(view)
        self.query_one(StatusLine).done(view.status)

    @on(ResultsView.Status)
    def _results_status(self, message: ResultsView.Status) -> None:
        status = self.query_one(StatusLine)
        (status.busy if message.busy else status.done)(message.text)

    def _call_failed(self, exc: MlkbError, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return
        if generation is not None:  # a failed search: the last one's hits no longer answer
            self._views.new_search(None)
            self.query_one(ContentSwitcher).current = "welcome"
        self.query_one(StatusLine).error(exc.message)
        if not isinstance(exc, InputError):
            self.notify(exc.message, title="mlkb", severity="error", timeout=10)
        elif len(exc.message) > self.size.width - 2:  # the status line cuts it: show it whole
            self.notify(exc.message, title="mlkb", severity="warning", timeout=10)

    def _if_current(self, generation: int, then: Callable[..., object], *args: Any) -> None:
        """Call ``then`` unless a search or similar items asked for since ``generation``:
        a late answer must not replace a newer one, nor take the focus from typing."""
        if generation == self._generation:
            then(*args)

    # -- items ----------------------------------------------------------------------------
    @on(Failed)
    def _failed_call(self, message: Failed) -> None:
        self._call_failed(message.error)

    def fetch(self, item_id: str) -> Recipe | DocumentView:
        """The item with this id, cached (call from a worker thread)."""
        item = self._items.get(item_id)
        if item is None:
            item = self._items[item_id] = self.kb.get(item_id)
        return item

    # -- requests from any view -----------------------------------------------------------
    @on(ResultsList.HitOpened)
    def _hit_opened(self, event: ResultsList.HitOpened) -> None:
        self._open_detail(event.hit.id, event.hit)

    @on(OpenDetail)
    def _open_detail_request(self, event: OpenDetail) -> None:
        self._open_detail(event.item_id, event.hit)

    def _open_detail(self, item_id: str, hit: Hit | None) -> None:
        def push(item: Recipe | DocumentView) -> None:
            self.push_screen(DetailScreen(item_id, item.title, item_markdown(item, hit)))

        self._with_item(item_id, push, self._generation)

    @work(thread=True, group="item")
    def _with_item(
        self, item_id: str, then: Callable[[Recipe | DocumentView], object], generation: int
    ) -> None:
        """Fetch an item off the UI thread, then hand it to ``then`` on it, if still wanted."""
        try:
            item = self.fetch(item_id)
        except MlkbError as exc:
            self.call_from_thread(self._call_failed, exc)
            return
        self.call_from_thread(self._if_current, generation, then, item)

    @on(ShowSimilar)
    def _similar_request(self, event: ShowSimilar) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        state = self.query_one(FilterBar).state
        self.query_one(StatusLine).busy(f"Finding items similar to “{event.title}”…")
        self._generation += 1
        self._similar_pending = True
        self._similar(event.item_id, event.title, state, self._generation)

    @work(thread=True, exclusive=True, group="search")
    def _similar(self, item_id: str, title: str, state: FilterState, generation: int) -> None:
        try:
            result = self.kb.similar(item_id, RESULTS_K, state.filters())
        except MlkbError as exc:
            self.call_from_thread(self._if_current, generation, self._similar_failed, exc)
            return
        filters, describe = state.filters(), state.describe()
        view = ResultView(
            result,
            status_of=lambda r: similar_status(r, title, describe),
            more=lambda offset: self.kb.similar(item_id, RESULTS_K, filters, offset=offset),
        )
        self.call_from_thread(self._if_current, generation, self._show_similar, view)

    def _similar_failed(self, exc: MlkbError) -> None:
        self._similar_pending = False
        self._call_failed(exc)

    def _show_similar(self, view: ResultView) -> None:
        self._similar_pending = False
        cursor_at = self.query_one(ResultsList).highlighted or 0  # where to come back to
        self._views.push_similar(view, cursor_at)
        self._show_view(view)
        if not self.query_one(SearchBar).has_focus:  # the user may be typing a new query
            self.query_one(ResultsList).focus()

    @on(OpenLink)
    def _open_link_request(self, event: OpenLink) -> None:
        def launch(item: Recipe | DocumentView) -> None:
            url = item_url(item)
            if url is None:
                self.notify(f"{event.item_id} has no URL or linked reference", severity="warning")
                return
            self.notify(url, title="Opening in your browser")
            self.open_url(url)

        self._with_item(event.item_id, launch, self._generation)

    @on(CopyId)
    def _copy_id(self, event: CopyId) -> None:
        self.copy_to_clipboard(event.item_id)
        self.notify(event.item_id, title="Copied id")

    # -- actions ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Browse needs an open knowledge base; retrying, one that failed to open."""
        if action == "browse" and not self.ready:
            return None
        if action == "retry":
            return self.query_one(ContentSwitcher).current == "error"
        return True

    def action_retry(self) -> None:
        """Open the knowledge base again (another process may have let go of the store)."""
        self.query_one(SearchBar).disabled = False
        self.query_one(SearchBar).focus()
        self.query_one(ContentSwitcher).current = "welcome"
        self.query_one(StatusLine).busy("Opening the knowledge base…")
        self._open()

    def action_focus_search(self) -> None:
        """Put the cursor in the search box (leaving any detail or browse screen)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.query_one(SearchBar).focus()

    def action_browse(self) -> None:
        """Browse recipes by area."""
        if self.ready and not isinstance(self.screen, BrowseScreen):
            self.push_screen(BrowseScreen())

    def action_help(self) -> None:
        """Show every key."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_go_back(self) -> None:
        """Leave similar items, then the results, then clear the query."""
        if self._similar_pending:  # similar items on their way are no longer wanted
            self._similar_pending, self._generation = False, self._generation + 1
            shown = self._views.current
            self.query_one(StatusLine).done(shown.status if shown else self._ready_text())
            return
        if self._views.similar:
            view = self._views.back()
            if view is not None:
                self._show_view(view)
            else:  # opened from Browse or the welcome view: back to the search box
                self._run_search()
                self.query_one(SearchBar).focus()
            return
        bar = self.query_one(SearchBar)
        if not bar.has_focus:
            bar.focus()
        elif bar.value:
            bar.value = ""
        else:
            self.action_focus_list()

    def action_focus_list(self) -> None:
        """Move from the search box to the results (or the example queries)."""
        view = self.query_one(ContentSwitcher).current
        if view == "results":
            self.query_one(ResultsList).focus()
        elif view == "welcome":
            self.query_one("#welcome-examples").focus()
