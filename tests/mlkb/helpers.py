"""Builders shared by the core tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlkb.schema import Document, Kind, Recipe, SearchRequest

if TYPE_CHECKING:
    from mlkb import KnowledgeBase


def make_recipe(slug: str = "test-recipe", **changes: Any) -> Recipe:
    """A small valid recipe."""
    data: dict[str, Any] = {
        "id": slug,
        "title": f"Recipe {slug}",
        "area": "monitoring",
        "problem": "Our model's inputs shift every week and accuracy falls. How do we notice?",
        "solution": "1. Compute PSI per feature.\n2. Alert above 0.25.",
        "hyperparameters": {"psi_threshold": 0.25},
        "tags": ["drift"],
    }
    data.update(changes)
    return Recipe.model_validate(data)


def make_document(
    doc_id: str = "file:notes/guide.md", text: str | None = None, **changes: Any
) -> Document:
    """A markdown document with a few sections."""
    body = text or (
        "# Serving guide\n\nIntro paragraph about serving models in production.\n\n"
        "## Dynamic batching\n\n" + "Batch requests to raise GPU utilisation. " * 60 + "\n\n"
        "## Caching\n\nCache predictions for repeated inputs keyed by a feature hash.\n"
    )
    data: dict[str, Any] = {
        "id": doc_id,
        "kind": Kind.guide,
        "source": "file",
        "title": "Serving guide",
        "url": None,
        "text": body,
    }
    data.update(changes)
    return Document.model_validate(data)


def drift_recipe() -> Recipe:
    """The shipped recipe most tests search for."""
    from mlkb.seeds import shipped_recipes

    return next(r for r in shipped_recipes() if r.id == "drift-psi-pricing")


def walk_pages(kb: KnowledgeBase, request: SearchRequest) -> list[str]:
    """The ids of every page of a search, following ``next_offset`` from the first."""
    ids: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = kb.search(request.model_copy(update={"offset": offset}))
        ids += [h.id for h in page.hits]
        offset = page.next_offset
    return ids
