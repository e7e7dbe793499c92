"""``/v1/documents``: add a text or markdown document."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.body import JsonBodyRoute
from api.deps import KBDep, WriteAccess
from api.schemas import WRITE_AUTH_ERRORS, AddOut, DocumentIn, ErrorOut
from mlkb.schema import Document, Kind

router = APIRouter(prefix="/v1/documents", tags=["documents"], route_class=JsonBodyRoute)


@router.post(
    "",
    response_model=AddOut,
    dependencies=[WriteAccess],
    responses={**WRITE_AUTH_ERRORS, 422: {"model": ErrorOut}},
)
def add_document(kb: KBDep, body: DocumentIn) -> AddOut:
    """Add or refresh a document: chunked, embedded and searchable at once. Sending the
    same content again is a no-op (status ``unchanged``). Changed content replaces the
    document with the same ``id``; without an ``id`` it is a new document (the derived id
    holds a hash of the text)."""
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
    return AddOut.of(kb.add_document(doc))
