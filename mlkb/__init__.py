"""mlkb: a local-first knowledge base of machine-learning engineering know-how."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlkb.errors import (
        ConfigError,
        DuplicateId,
        EnvironmentProblem,
        InputError,
        InvalidQuery,
        InvalidRecipe,
        MlkbError,
        ModelMismatch,
        NotFound,
        SourceError,
        StoreLocked,
        StoreUnavailable,
    )
    from mlkb.kb import KnowledgeBase
    from mlkb.schema import (
        AddResult,
        AddStatus,
        Area,
        Chunk,
        Document,
        DocumentView,
        Hit,
        Kind,
        Recipe,
        SearchMode,
        SearchRequest,
        SearchResult,
    )
    from mlkb.settings import Settings

# Exports load on first use, so `mlkb --help` and other light paths skip pydantic models,
# numpy and the store.
_EXPORTS = {
    "AddResult": "mlkb.schema",
    "AddStatus": "mlkb.schema",
    "Area": "mlkb.schema",
    "Chunk": "mlkb.schema",
    "ConfigError": "mlkb.errors",
    "Document": "mlkb.schema",
    "DocumentView": "mlkb.schema",
    "DuplicateId": "mlkb.errors",
    "EnvironmentProblem": "mlkb.errors",
    "Hit": "mlkb.schema",
    "InputError": "mlkb.errors",
    "InvalidQuery": "mlkb.errors",
    "InvalidRecipe": "mlkb.errors",
    "Kind": "mlkb.schema",
    "KnowledgeBase": "mlkb.kb",
    "MlkbError": "mlkb.errors",
    "ModelMismatch": "mlkb.errors",
    "NotFound": "mlkb.errors",
    "Recipe": "mlkb.schema",
    "SearchMode": "mlkb.schema",
    "SearchRequest": "mlkb.schema",
    "SearchResult": "mlkb.schema",
    "Settings": "mlkb.settings",
    "SourceError": "mlkb.errors",
    "StoreLocked": "mlkb.errors",
    "StoreUnavailable": "mlkb.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlkb' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "AddStatus",
    "Area",
    "Chunk",
    "ConfigError",
    "Document",
    "DocumentView",
    "DuplicateId",
    "EnvironmentProblem",
    "Hit",
    "InputError",
    "InvalidQuery",
    "InvalidRecipe",
    "Kind",
    "KnowledgeBase",
    "MlkbError",
    "ModelMismatch",
    "NotFound",
    "Recipe",
    "SearchMode",
    "SearchRequest",
    "SearchResult",
    "Settings",
    "SourceError",
    "StoreLocked",
    "StoreUnavailable",
    "__version__",
]
