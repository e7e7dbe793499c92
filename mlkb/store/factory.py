"""Open the backend the settings name: Qdrant Edge by default, a Qdrant server by URL."""

from __future__ import annotations

from mlkb.settings import Settings
from mlkb.store.base import CollectionMeta, Store


def open_store(settings: Settings) -> Store:
    """The embedded store under ``MLKB_HOME``, or the server at ``MLKB_QDRANT_URL``."""
    if settings.qdrant_url:
        from mlkb.store.server import ServerStore, connect

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = connect(
            settings.qdrant_url,
            key,
            attempts=settings.qdrant_connect_attempts,
            backoff=settings.qdrant_connect_backoff,
        )
        return ServerStore(client, settings.collection)
    from mlkb.store.edge import EdgeStore

    return EdgeStore(settings.store_path)


def peek_meta(settings: Settings) -> CollectionMeta | None:
    """The embedded store's record of how it was built, read before opening it (a hint:
    the store may change before it opens); None for a server."""
    if settings.qdrant_url:
        return None
    from mlkb.store.edge import read_meta

    try:
        return read_meta(settings.store_path)
    except (OSError, ValueError, KeyError):  # the open that follows reports it
        return None
