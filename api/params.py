"""Every route refuses a query parameter it does not take (422), as a body refuses an
unknown field: ``?kinds=paper`` or ``?areas=llm`` would otherwise drop the filter and
widen the answer without a word. The names a route takes are read from the OpenAPI
schema, so the check and the docs cannot disagree."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError

UNKNOWN = "not a field of this request"

# Names people reach for, from other APIs or from mlkb's CLI, and what the API calls them.
_SYNONYMS = {
    "since": "published_from",
    "until": "published_to",
    "from": "published_from",
    "to": "published_to",
    "query": "q",
    "q": "query",
    "limit": "k",
    "top_k": "k",
    "n": "k",
    "page": "offset",
    "skip": "offset",
}


def _names_by_route(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    """(method, path) -> the query parameters it takes; built once, on first need."""
    names: dict[tuple[str, str], frozenset[str]] | None = getattr(app.state, "query_names", None)
    if names is None:
        names = {
            (method.upper(), path): frozenset(
                p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"
            )
            for path, operations in app.openapi()["paths"].items()
            for method, operation in operations.items()
        }
        app.state.query_names = names
    return names


def suggestion(name: str, taken: frozenset[str]) -> str:
    """``; did you mean 'kind'?``, ``; it takes k, offset``, or ``; it takes none``."""
    if _SYNONYMS.get(name) in taken:
        return f"; did you mean '{_SYNONYMS[name]}'?"
    close = difflib.get_close_matches(name, sorted(taken), n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; it takes {', '.join(sorted(taken))}" if taken else "; it takes none"


async def refuse_unknown_query_params(request: Request) -> None:
    """A dependency of every route: 422 for a query parameter the route does not take."""
    if not request.query_params:
        return  # the common case costs one check
    route: Any = request.scope.get("route")
    taken = _names_by_route(request.app).get((request.method, getattr(route, "path_format", "")))
    if taken is None:
        return
    unknown = [name for name in request.query_params if name not in taken]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "unknown_parameter",
                    "loc": ("query", name),
                    "msg": UNKNOWN + suggestion(name, taken),
                    "input": request.query_params[name],
                }
                for name in unknown
            ]
        )
