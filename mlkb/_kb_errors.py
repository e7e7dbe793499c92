"""The errors the knowledge base raises about one item, with a fix for each edge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from mlkb.errors import NotFound, StoreUnavailable
from mlkb.records import is_document_id

_Item = TypeVar("_Item")


def unknown_item(item_id: str) -> NotFound:
    """No item has this id; each edge says where ids are listed."""
    if is_document_id(item_id):
        hints = {
            "cli": "`mlkb docs` lists the stored documents",
            "api": "GET /v1/documents lists the stored documents (percent-encode any ? # % "
            "in the id)",
        }
    else:
        hints = {
            "cli": "`mlkb search` finds ids",
            "api": "GET /v1/search finds ids (percent-encode any ? # % in the id)",
        }
    hints["mcp"] = "use an id from a mlkb_find hit"
    return NotFound(f"no item with id '{item_id}'", hints=hints)


def replace_hints(recipe_id: str) -> dict[str, str]:
    """How each edge replaces a recipe whose id is taken."""
    return {
        "cli": "choose another id, or replace it with `mlkb recipe add --replace`",
        "api": f"choose another id, or replace it with PUT /v1/recipes/{recipe_id}",
        "mcp": "choose another id, or replace it with replace=true (read it with mlkb_get "
        "first: what you leave out is lost)",
    }


def readable(item_id: str, build: Callable[..., _Item], *payloads: Any) -> _Item:
    """The item built from its stored payloads; a payload that no longer reads (written by
    hand or by a damaged import) is named, with the fix, instead of failing deep inside."""
    try:
        return build(*payloads)
    except ValidationError as exc:
        error = exc.errors()[0]
        problem = f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
    except (KeyError, TypeError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    raise StoreUnavailable(
        f"'{item_id}' is damaged in the store ({problem})",
        hints={
            "cli": f"remove it with `mlkb rm {item_id}` and add it again",
            "api": f"remove it with DELETE /v1/items/{item_id} and add it again",
            "mcp": "ask the person who runs mlkb to remove it and add it again",
        },
    )
