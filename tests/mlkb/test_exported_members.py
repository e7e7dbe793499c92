"""`mlkb.__all__` lists exactly the public API, and every name resolves."""

from __future__ import annotations

import mlkb


def test_all_names_resolve() -> None:
    for name in mlkb.__all__:
        assert getattr(mlkb, name) is not None, name


def test_all_is_complete_and_sorted() -> None:
    lazy = set(mlkb._EXPORTS)
    assert set(mlkb.__all__) == lazy | {"__version__"}
    assert mlkb.__all__ == sorted(mlkb.__all__)
    assert {"KnowledgeBase", "Settings", "Recipe", "Document", "SearchRequest", "MlkbError"} <= lazy
