"""Open the backend the settings name: Qdrant Edge by default, a Qdrant server by URL."""

from __future__ import annotations

from mlkb.settings import Settings
from mlkb.store.base import Store


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
