"""mlkb: a local-first knowledge base of machine-learning engineering know-how."""

from __future__ import annotations

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
