"""``/v1/documents``: list the stored documents, add a text or markdown document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.body import JsonBodyRoute
from api.deps import KBDep, ReadAccess, WriteAccess
from api.errors import InvalidRequest
from api.schemas import (
    READ_AUTH_ERRORS,
    WRITE_AUTH_ERRORS,
    AddOut,
    DocumentIn,
    DocumentPage,
    ErrorOut,
)
from mlkb.schema import Document, Kind

router = APIRouter(prefix="/v1/documents", tags=["documents"], route_class=JsonBodyRoute)


@router.get("", response_model=DocumentPage, dependencies=[ReadAccess], responses=READ_AUTH_ERRORS)
def list_documents(
    kb: KBDep,
    kind: Annotated[
        list[Kind], Query(description="Only documents of these kinds (repeatable).")
    ] = [],  # noqa: B006
    source: Annotated[
        list[str], Query(description="Only documents from these sources (repeatable).")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    """A page of the stored documents (papers, model cards, guides, notes) sorted by source
    and id, with the total that match: ids for `GET /v1/items/{id}`, titles, chunk counts."""
    if Kind.recipe in kind:
        raise InvalidRequest("recipes are listed at GET /v1/recipes; drop kind=recipe")
    items, total = kb.list_documents(
        kind=[k.value for k in kind], source=source, limit=limit, offset=offset
    )
    return DocumentPage(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "",
    response_model=AddOut,
    dependencies=[WriteAccess],
    responses={
        201: {"model": AddOut, "description": "A new document."},
        **WRITE_AUTH_ERRORS,
        422: {"model": ErrorOut},
    },
)
def add_document(kb: KBDep, body: DocumentIn, response: Response) -> AddOut:
    """Add or refresh a document: chunked, embedded and searchable at once (201 when it
    is new). Sending the same content again is a no-op (status ``unchanged``). Changed
    content replaces the document with the same ``id``; without an ``id`` it is a new
    document (the derived id holds a hash of the text). A long text takes a while: a text
    of 1 MB (some 1,800 chunks) is embedded in one to two minutes on two cores; a client
    that gives up sooner can send it again, which stores nothing twice."""
    doc_id = body.doc_id()
    try:
        doc = Document(
            id=doc_id,
            kind=Kind(body.kind),
            source=doc_id.split(":", 1)[0],
            title=body.title,
            url=body.url,
            authors=body.authors,
            published=body.published,
            tags=body.tags,
            text=body.text,
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    added = AddOut.of(kb.add_document(doc))
    if added.status == "new":
        response.status_code = 201
    return added
