"""``/v1/recipes``: list, add, replace and remove curated recipes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.body import JsonBodyRoute
from api.deps import KBDep, ReadAccess, WriteAccess
from api.errors import InvalidRequest
from api.schemas import (
    READ_AUTH_ERRORS,
    WRITE_AUTH_ERRORS,
    AddOut,
    ErrorOut,
    RecipeIn,
    RecipeItem,
    RecipeOut,
    RecipePage,
    RecipeUpdate,
)
from mlkb.errors import NotFound
from mlkb.records import is_document_id
from mlkb.schema import SLUG_RE, AddStatus, Area, Recipe

router = APIRouter(prefix="/v1/recipes", tags=["recipes"], route_class=JsonBodyRoute)

RecipeId = Annotated[str, Path(description="The recipe's id (a slug).", pattern=SLUG_RE)]
WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    **WRITE_AUTH_ERRORS,
    422: {"model": ErrorOut, "description": "Not a valid recipe."},
}


NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "Unknown recipe."},
}


@router.get("", response_model=RecipePage, dependencies=[ReadAccess], responses=READ_AUTH_ERRORS)
def list_recipes(
    kb: KBDep,
    area: Annotated[
        list[Area], Query(description="Only recipes in one of these areas (repeatable).")
    ] = [],  # noqa: B006
    tag: Annotated[
        list[str], Query(description="Only recipes with one of these tags (repeatable).")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RecipePage:
    """A page of recipes sorted by area and id, with the total that match. Repeated
    ``area`` or ``tag`` values mean any of them, as on search."""
    areas = list(dict.fromkeys(a.value for a in area))
    tags = list(dict.fromkeys(tag))
    recipes, total = kb.list_recipes(area=areas, tag=tags, limit=limit, offset=offset)
    items = [RecipeOut.model_validate(r.model_dump()) for r in recipes]
    return RecipePage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{recipe_id}",
    response_model=RecipeItem,
    responses={**NOT_FOUND, **READ_AUTH_ERRORS},
    dependencies=[ReadAccess],
)
def get_recipe(kb: KBDep, recipe_id: Annotated[str, Path()]) -> RecipeItem:
    """One recipe, in the same shape as ``GET /v1/items/{id}`` gives for it."""
    if is_document_id(recipe_id):
        raise NotFound(f"'{recipe_id}' is a document id; GET /v1/items/{{id}} reads documents")
    item = kb.get(recipe_id)
    if not isinstance(item, Recipe):
        raise NotFound(f"'{recipe_id}' is not a recipe; GET /v1/items/{{id}} reads it")
    return RecipeItem(recipe=RecipeOut.model_validate(item.model_dump()))


@router.post(
    "",
    response_model=AddOut,
    status_code=201,
    dependencies=[WriteAccess],
    responses={
        **WRITE_ERRORS,
        200: {"model": AddOut, "description": "The same recipe is already stored."},
        409: {"model": ErrorOut, "description": "Another recipe has this id."},
    },
)
def create_recipe(kb: KBDep, body: RecipeIn, response: Response) -> AddOut:
    """Add a recipe. 201 when new; 200 when an identical one exists; 409 when the id is
    taken by a different recipe (replace it with PUT). The server sets ``version`` and
    ``updated``."""
    result = kb.add_recipe(body.to_recipe(), source="user")
    if result.status is not AddStatus.new:
        response.status_code = 200
    return AddOut.of(result)


@router.put(
    "/{recipe_id}", response_model=AddOut, dependencies=[WriteAccess], responses=WRITE_ERRORS
)
def replace_recipe(kb: KBDep, recipe_id: RecipeId, body: RecipeUpdate) -> AddOut:
    """Add or replace the recipe with this id; a changed recipe gets a new version (the
    server sets ``version`` and ``updated``)."""
    if body.id is not None and body.id != recipe_id:
        raise InvalidRequest(
            f"the body's id '{body.id}' differs from the path's '{recipe_id}'; "
            "leave it out or make them equal"
        )
    return AddOut.of(kb.add_recipe(body.to_recipe(id=recipe_id), source="user", replace=True))


@router.delete(
    "/{recipe_id}",
    status_code=204,
    response_class=Response,
    dependencies=[WriteAccess],
    responses={**WRITE_ERRORS, **NOT_FOUND},
)
def delete_recipe(kb: KBDep, recipe_id: Annotated[str, Path()]) -> Response:
    """Remove a recipe."""
    if is_document_id(recipe_id):
        raise NotFound(f"'{recipe_id}' is a document id; DELETE /v1/items/{{id}} removes documents")
    kb.delete(recipe_id)
    return Response(status_code=204)
