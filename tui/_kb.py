"""What the TUI needs from a knowledge base, and how `mlkb tui` opens one."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from mlkb.errors import MlkbError, StoreUnavailable
from mlkb.schema import DocumentView, Recipe, SearchRequest, SearchResult
from mlkb.settings import Settings
from mlkb.store.base import Filters


class KnowledgeBaseLike(Protocol):
    """The read side shared by ``mlkb.KnowledgeBase`` and ``mlkb.remote.RemoteKnowledgeBase``."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def similar(
        self, item_id: str, k: int = 10, filters: Filters = ..., *, offset: int = 0
    ) -> SearchResult: ...

    def get(self, item_id: str) -> Recipe | DocumentView: ...

    def list_recipes(
        self, *, area: str | None = None, tag: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Recipe], int]: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def open_knowledge_base(settings: Settings | None = None) -> KnowledgeBaseLike:
    """A running ``mlkb serve`` when one is found (as the CLI does), else the embedded store.

    Raises StoreLocked when another process holds the store; a remote server that does
    not answer raises StoreUnavailable on the first call.
    """
    from mlkb.remote import RemoteKnowledgeBase, find_server

    cfg = settings or Settings()
    url = find_server(cfg)
    if url is not None:
        return RemoteKnowledgeBase(url, cfg)
    from mlkb.kb import KnowledgeBase  # loads the store engine and the embedder

    return KnowledgeBase(cfg, prepare_query=True)  # the query model loads as the store opens


@contextlib.contextmanager
def status_from_log(say: Callable[[str], object]) -> Iterator[None]:
    """Pass mlkb's progress lines (the first run's model export and seeding, about half a
    minute) to ``say`` while the block runs; the CLI prints them to stderr."""

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            with contextlib.suppress(Exception):  # a status line is no reason to fail
                say(record.getMessage())

    logger = logging.getLogger("mlkb")
    handler, level = Forward(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def open_in_background(
    app: Any,
    opener: Callable[[], KnowledgeBaseLike],
    *,
    opened: Callable[[KnowledgeBaseLike, dict[str, Any]], object],
    failed: Callable[[MlkbError], object],
    progress: Callable[[str], object],
    close_on_exit: bool,
) -> None:
    """Open the knowledge base on a thread and hand the app ``opened(kb, stats)`` or
    ``failed(error)``, and the first run's progress lines, on the app's own thread.

    A daemon thread, not a Textual worker (the app waits for those when it quits):
    quitting during a first run's model export or seeding ends at once. Both are safe to
    cut short (the export lands by a rename, the seeds in one batch) and the next start
    does them again. A knowledge base that opens after the app quit is closed."""

    def run() -> None:
        try:
            with status_from_log(lambda line: call_if_running(app, progress, line)):
                kb = opener()
        except Exception as exc:  # any error: the app must not wait on "Opening…" for ever
            call_if_running(app, failed, as_mlkb_error(exc))
            return
        try:
            if call_if_running(app, opened, kb, kb.stats()):
                return
        except Exception as exc:
            call_if_running(app, failed, as_mlkb_error(exc))
        if close_on_exit:
            kb.close()  # stats failed, or the app quit while it opened: nothing will use it

    threading.Thread(target=run, name="mlkb-tui-open", daemon=True).start()


def as_mlkb_error(exc: Exception) -> MlkbError:
    """An error the TUI can show in its error view: mlkb's own as it is, the disk's or
    anything unexpected said in one line."""
    if isinstance(exc, MlkbError):
        return exc
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return StoreUnavailable(f"cannot open the knowledge base: {where}{exc.strerror}")
    return StoreUnavailable(f"cannot open the knowledge base: {type(exc).__name__}: {exc}")


def call_if_running(app: Any, callback: Callable[..., Any], *args: Any) -> bool:
    """Have the app run ``callback`` on its thread, from another, without waiting; False
    if the app has quit (or is quitting) and will not."""
    from tui.messages import FromThread

    return bool(app.is_running and app.post_message(FromThread(callback, args)))


def backend_label(kb: object) -> str:
    """A short name for where the data lives, for the welcome view."""
    url = getattr(kb, "url", None)
    if isinstance(url, str):
        return f"mlkb serve at {url}"
    settings = getattr(kb, "settings", None)
    qdrant = getattr(settings, "qdrant_url", None)
    return f"Qdrant at {qdrant}" if qdrant else "embedded store"
