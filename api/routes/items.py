"""``/v1/items/{id}``: any recipe or document by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import KBDep, ReadAccess, WriteAccess
from api.schemas import (
    READ_AUTH_ERRORS,
    WRITE_AUTH_ERRORS,
    DocumentItem,
    DocumentOut,
    ErrorOut,
    ItemOut,
    RecipeItem,
    RecipeOut,
)
from mlkb.errors import NotFound
from mlkb.schema import Recipe

router = APIRouter(prefix="/v1/items", tags=["items"])

IdPath = Annotated[str, Path(description="A recipe id or a document id (arxiv:1706.03762).")]
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "Unknown id."},
}


@router.get(
    "/{item_id:path}",
    response_model=ItemOut,
    responses={**NOT_FOUND, **READ_AUTH_ERRORS},
    dependencies=[ReadAccess],
)
def get_item(
    kb: KBDep,
    item_id: IdPath,
    chunks: Annotated[
        bool, Query(description="Include a document's chunks (false: its text only).")
    ] = True,
    max_chars: Annotated[
        int | None, Query(ge=1, description="Cut a document's text to this many characters.")
    ] = None,
    chunk: Annotated[
        int | None,
        Query(
            ge=0,
            description="Only the passage around this chunk of a document (a hit's `chunk`): "
            "its text and its chunks are those of the window.",
        ),
    ] = None,
    around: Annotated[
        int, Query(ge=0, le=20, description="Chunks each side of `chunk` in the window.")
    ] = 1,
) -> RecipeItem | DocumentItem:
    """The full recipe, or the document with its text and its chunks (or the passage around
    one chunk: `?chunk=12` reads what a hit with `chunk: 12` matched, in context)."""
    item = kb.get(_given(item_id), chunk=chunk, around=around)
    if isinstance(item, Recipe):
        return RecipeItem(recipe=RecipeOut.model_validate(item.model_dump()))
    return DocumentItem(document=DocumentOut.of(item, chunks=chunks, max_chars=max_chars))


@router.delete(
    "/{item_id:path}",
    status_code=204,
    response_class=Response,
    dependencies=[WriteAccess],
    responses={**NOT_FOUND, **WRITE_AUTH_ERRORS},
)
def delete_item(kb: KBDep, item_id: IdPath) -> Response:
    """Remove a recipe, or a document with all its chunks."""
    kb.delete(_given(item_id))
    return Response(status_code=204)


def _given(item_id: str) -> str:
    """The id, or NotFound when the path ends at ``/v1/items/``."""
    if not item_id:
        raise NotFound("no id in the path: use /v1/items/{id} with a recipe or document id")
    return item_id
