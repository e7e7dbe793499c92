"""``/v1/recipes``: list, add, replace and remove curated recipes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import KBDep, ReadAccess, WriteAccess
from api.errors import InvalidRequest
from api.schemas import (
    WRITE_AUTH_ERRORS,
    AddOut,
    ErrorOut,
    RecipeIn,
    RecipeOut,
    RecipePage,
    RecipeUpdate,
)
from mlkb.errors import NotFound
from mlkb.records import is_document_id
from mlkb.schema import SLUG_RE, AddStatus, Area, Recipe

router = APIRouter(prefix="/v1/recipes", tags=["recipes"])

RecipeId = Annotated[str, Path(description="The recipe's id (a slug).", pattern=SLUG_RE)]
WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    **WRITE_AUTH_ERRORS,
    422: {"model": ErrorOut, "description": "Not a valid recipe."},
}


@router.get("", response_model=RecipePage, dependencies=[ReadAccess])
def list_recipes(
    kb: KBDep,
    area: Annotated[Area | None, Query(description="Only this area.")] = None,
    tag: Annotated[str | None, Query(description="Only recipes with this tag.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RecipePage:
    """A page of recipes sorted by area and id, with the total that match."""
    recipes, total = kb.list_recipes(
        area=area.value if area else None, tag=tag, limit=limit, offset=offset
    )
    items = [RecipeOut.model_validate(r.model_dump()) for r in recipes]
    return RecipePage(items=items, total=total, limit=limit, offset=offset)


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
    taken by a different recipe (replace it with PUT)."""
    result = kb.add_recipe(Recipe.model_validate(body.model_dump()), source="user")
    if result.status is not AddStatus.new:
        response.status_code = 200
    return AddOut.of(result)


@router.put(
    "/{recipe_id}", response_model=AddOut, dependencies=[WriteAccess], responses=WRITE_ERRORS
)
def replace_recipe(kb: KBDep, recipe_id: RecipeId, body: RecipeUpdate) -> AddOut:
    """Add or replace the recipe with this id; a changed recipe gets a new version."""
    if body.id is not None and body.id != recipe_id:
        raise InvalidRequest(
            f"the body's id '{body.id}' differs from the path's '{recipe_id}'; "
            "leave it out or make them equal"
        )
    recipe = Recipe.model_validate({**body.model_dump(), "id": recipe_id})
    return AddOut.of(kb.add_recipe(recipe, source="user", replace=True))


@router.delete(
    "/{recipe_id}",
    status_code=204,
    response_class=Response,
    dependencies=[WriteAccess],
    responses={**WRITE_ERRORS, 404: {"model": ErrorOut, "description": "Unknown recipe."}},
)
def delete_recipe(kb: KBDep, recipe_id: Annotated[str, Path()]) -> Response:
    """Remove a recipe."""
    if is_document_id(recipe_id):
        raise NotFound(f"'{recipe_id}' is a document id; DELETE /v1/items/{{id}} removes documents")
    kb.delete(recipe_id)
    return Response(status_code=204)
