"""What the TUI needs from a knowledge base, and how `mlkb tui` opens one."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from mlkb.schema import DocumentView, Recipe, SearchRequest, SearchResult
from mlkb.settings import Settings
from mlkb.store.base import Filters


class KnowledgeBaseLike(Protocol):
    """The read side shared by ``mlkb.KnowledgeBase`` and ``mlkb.remote.RemoteKnowledgeBase``."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def similar(self, item_id: str, k: int = 10, filters: Filters = ...) -> SearchResult: ...

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


def call_if_running(app: Any, callback: Callable[..., Any], *args: Any) -> bool:
    """Run ``callback`` on the app's thread, from another; False if the app has quit."""
    if not app.is_running:
        return False
    try:
        app.call_from_thread(callback, *args)
    except RuntimeError:  # the app's loop is gone
        return False
    return True


def backend_label(kb: object) -> str:
    """A short name for where the data lives, for the welcome view."""
    url = getattr(kb, "url", None)
    if isinstance(url, str):
        return f"mlkb serve at {url}"
    settings = getattr(kb, "settings", None)
    qdrant = getattr(settings, "qdrant_url", None)
    return f"Qdrant at {qdrant}" if qdrant else "embedded store"
