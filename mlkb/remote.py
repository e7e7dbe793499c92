"""The knowledge base through a running ``mlkb serve``: same methods, over HTTP.

While ``mlkb serve`` owns the embedded store, the CLI and the TUI use this client. A local
server announces itself in ``MLKB_HOME/server.json``; ``MLKB_API_URL`` names any server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from mlkb import errors
from mlkb.records import is_document_id
from mlkb.schema import (
    AddResult,
    DocumentSummary,
    DocumentView,
    Recipe,
    SearchRequest,
    SearchResult,
)
from mlkb.settings import Settings
from mlkb.store.base import Filters

SERVER_FILE = "server.json"
_ERRORS: dict[str, type[errors.MlkbError]] = {
    cls.code: cls
    for cls in (
        errors.InvalidQuery,
        errors.InvalidRecipe,
        errors.DuplicateId,
        errors.ImportFileError,
        errors.NotFound,
        errors.StoreLocked,
        errors.StoreUnavailable,
        errors.ModelMismatch,
        errors.ConfigError,
        errors.SourceError,
        errors.AuthError,
        errors.InputError,
    )
}
_ERRORS.update(
    {
        "writes_disabled": errors.AuthError,
        "invalid_request": errors.InputError,
        "payload_too_large": errors.InputError,
    }
)


def _path_id(item_id: str) -> str:
    """An item id as a URL path segment (document ids may hold '?', '#' or '%')."""
    return quote(item_id, safe=":/@")


def server_file(settings: Settings) -> Path:
    """Where a local ``mlkb serve`` records its URL and pid."""
    return settings.home / SERVER_FILE


def announce(settings: Settings, url: str) -> None:
    """Record this process as the local server (called by ``mlkb serve``)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    tmp = server_file(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid(), "store": str(settings.store_path)}))
    os.replace(tmp, server_file(settings))


def withdraw(settings: Settings) -> None:
    """Remove the announcement if it is ours."""
    path = server_file(settings)
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def find_server(settings: Settings) -> str | None:
    """``MLKB_API_URL``, or a live local server announced for the same store."""
    if settings.api_url:
        return settings.api_url.rstrip("/")
    if settings.qdrant_url:
        return None  # a Qdrant server has no single owner; open it directly
    try:
        info = json.loads(server_file(settings).read_text())
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if info.get("store") != str(settings.store_path):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # stale file from a server that died
    except PermissionError:
        pass
    return url


class RemoteKnowledgeBase:
    """The subset of KnowledgeBase the CLI and TUI use, over the REST API."""

    def __init__(self, url: str, settings: Settings, *, timeout: float = 30.0) -> None:
        self.url = url
        self.settings = settings
        self._timeout = timeout
        # Errors then name the CLI's fix (`mlkb docs`), not the route's (api.errors).
        self._headers = {"Accept": "application/json", "X-Mlkb-Client": "cli"}
        key = settings.api_key or settings.api_read_key
        if key is not None:
            self._headers["X-API-Key"] = key.get_secret_value()

    def _call(
        self,
        method: str,
        path: str,
        *,
        payload: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        # The standard library's client: a CLI call through a running server starts in
        # about half the time it took with httpx (whose import and TLS set-up cost ~0.5 s).
        import urllib.error
        import urllib.request

        url = self.url + path + (f"?{urlencode(params, doseq=True)}" if params else "")
        body, headers = None, dict(self._headers)
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")
        except (OSError, ValueError) as exc:  # refused, timed out, bad URL
            fix = (
                "start it, or unset MLKB_API_URL"
                if self.settings.api_url
                else "it may have just stopped; run the command again"
            )
            raise errors.StoreUnavailable(
                f"cannot reach mlkb serve at {self.url} ({exc.__class__.__name__}); {fix}"
            ) from None
        if status >= 400:
            try:
                data = json.loads(text)
                code, detail = data.get("error", "error"), data.get("detail", text)
            except (ValueError, AttributeError):
                code, detail = "error", text[:200]
            if code == "unauthorized":  # the server names its header; a CLI user sets a variable
                read = "protects reads" in str(detail)
                if "X-API-Key" in self._headers:
                    fix = "MLKB_API_KEY (or MLKB_API_READ_KEY) is not the server's key"
                elif read:
                    fix = "set MLKB_API_READ_KEY (or MLKB_API_KEY) to the server's read key"
                else:
                    fix = "set MLKB_API_KEY to the server's key"
                detail = f"mlkb serve at {self.url} refused the request: {fix}"
            cls = _ERRORS.get(code, errors.MlkbError if status < 500 else errors.StoreUnavailable)
            raise cls(str(detail))
        if status == 204 or not text:
            return None
        return json.loads(text)

    def search(self, request: SearchRequest | str) -> SearchResult:
        if isinstance(request, str):
            request = SearchRequest(query=request)
        # defaults left out: a server from before a field was added still answers
        body = request.model_dump(mode="json", exclude_defaults=True)
        data = self._call("POST", "/v1/search", payload=body)
        return SearchResult.model_validate(data)

    def similar(
        self, item_id: str, k: int = 10, filters: Filters = Filters(), *, offset: int = 0
    ) -> SearchResult:
        params: dict[str, Any] = {"k": k, **({"offset": offset} if offset else {})}
        if filters.kind:
            params["kind"] = list(filters.kind)
        if filters.area:
            params["area"] = list(filters.area)
        if filters.source:
            params["source"] = list(filters.source)
        if filters.tags:
            params["tag"] = list(filters.tags)
        data = self._call("GET", f"/v1/similar/{_path_id(item_id)}", params=params)
        return SearchResult.model_validate(data)

    def get(
        self, item_id: str, *, chunk: int | None = None, around: int = 0
    ) -> Recipe | DocumentView:
        params = None if chunk is None else {"chunk": chunk, "around": around}
        data = self._call("GET", f"/v1/items/{_path_id(item_id)}", params=params)
        if data.get("type") == "recipe":
            return Recipe.model_validate(data["recipe"])
        document = data["document"]
        for c in document.get("chunks", []):  # the API leaves out what the document says
            c["doc_id"] = document["id"]
        return DocumentView.model_validate(document)

    def add_recipes(
        self, recipes: list[Recipe], *, source: str = "user", replace: bool = False
    ) -> list[AddResult]:
        results = []
        for recipe in recipes:
            body = recipe.model_dump(mode="json")
            if replace:
                data = self._call("PUT", f"/v1/recipes/{_path_id(recipe.id)}", payload=body)
            else:
                data = self._call("POST", "/v1/recipes", payload=body)
            results.append(AddResult.model_validate(data))
        return results

    def add_recipe(
        self, recipe: Recipe, *, source: str = "user", replace: bool = False
    ) -> AddResult:
        return self.add_recipes([recipe], source=source, replace=replace)[0]

    def delete(self, item_id: str) -> None:
        kind = "items" if is_document_id(item_id) else "recipes"
        self._call("DELETE", f"/v1/{kind}/{_path_id(item_id)}")

    def list_recipes(
        self, *, area: str | None = None, tag: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Recipe], int]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if area:
            params["area"] = area
        if tag:
            params["tag"] = tag
        data = self._call("GET", "/v1/recipes", params=params)
        return [Recipe.model_validate(r) for r in data["items"]], int(data["total"])

    def list_documents(
        self,
        *,
        kind: Sequence[str] = (),
        source: Sequence[str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DocumentSummary], int]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if kind:
            params["kind"] = list(kind)
        if source:
            params["source"] = list(source)
        data = self._call("GET", "/v1/documents", params=params)
        return [DocumentSummary.model_validate(d) for d in data["items"]], int(data["total"])

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/v1/stats")
        return data

    def close(self) -> None:
        """Nothing to release: each call opens its own connection."""
