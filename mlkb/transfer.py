"""Export a store to JSON Lines and import it back; rebuild a store with another model.

The file's first line is a header; each further line is one point: its stable key, its
payload and, with ``vectors=True``, its dense vector. Import is all or nothing: every line
is checked first, and a broken line stops the import before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlkb._kb_documents import WRITE_BATCH
from mlkb.errors import ImportFileError, StoreUnavailable
from mlkb.kb import KnowledgeBase
from mlkb.records import chunk_key, point_id, recipe_key, recipe_payload
from mlkb.schema import DocumentView, Kind, Recipe
from mlkb.seeding import DROPPED, dropped_seeds, keep_out
from mlkb.weights import WEIGHTS, store_weights

FORMAT = 1


@dataclass
class ImportReport:
    """What an import wrote."""

    points: int
    recipes: int
    documents: int
    reembedded: bool
    unchanged: int = 0
    """Points already stored exactly as in the file, left as they were (not re-embedded)."""


def export_store(kb: KnowledgeBase, out: IO[str], *, vectors: bool = False) -> int:
    """Write every point of ``kb`` to ``out``; returns the number of points."""
    meta = kb.store.meta()
    header = {
        "mlkb_export": FORMAT,
        "model": meta.model if meta else kb.embedder.name,
        "dim": meta.dim if meta else None,
        WEIGHTS: store_weights(meta) if meta else None,
        "vectors": vectors,
        DROPPED: sorted(dropped_seeds(meta)),
        "exported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out.write(json.dumps(header) + "\n")
    count = 0
    for point in kb.iter_points(vectors=vectors):
        line: dict[str, Any] = {"key": point.payload["key"], "payload": point.payload}
        if vectors and point.dense is not None:
            line["dense"] = point.dense
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
    return count


class _ChunkPoint(BaseModel):
    """The fields a chunk's payload must carry, with their types (see ``chunk_payload``).
    Strict: the payload is stored as it is, so ``"3"`` for a position would pass a lax
    check and then miss every position filter."""

    model_config = ConfigDict(extra="allow", strict=True)

    key: str
    item_id: str
    doc_id: str
    kind: Kind = Field(strict=False)  # stored as its value, "paper"
    source: str
    title: str
    url: str | None = None
    tags: list[str]
    position: int = Field(ge=0)
    n_chunks: int = Field(ge=1)
    section: list[str]
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    published: str | None = None
    doc: DocumentView | None = Field(default=None, strict=False)  # a mapping, read as a view

    @model_validator(mode="after")
    def _consistent(self) -> _ChunkPoint:
        if self.published is not None:
            try:
                dt.datetime.fromisoformat(self.published)
            except ValueError:
                raise ValueError(f"published {self.published!r} is not an ISO date") from None
        if self.item_id != self.doc_id or self.key != chunk_key(self.doc_id, self.position):
            raise ValueError("key, item_id and doc_id do not name the same chunk")
        if self.position == 0 and (self.doc is None or self.doc.id != self.doc_id):
            raise ValueError("chunk 0 must carry its document's metadata under 'doc'")
        if self.position >= self.n_chunks:
            raise ValueError(f"position {self.position} is past n_chunks {self.n_chunks}")
        return self


def chunk_payload_problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with a chunk's payload (one line), or None; imports check every line
    with it, so a stored chunk always reads back. Here, not in ``records``: the model is
    built only by the commands that import."""
    try:
        _ChunkPoint.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        # a validator's own words, without pydantic's "Value error, " before them
        cause = error.get("ctx", {}).get("error")
        what = str(cause) if cause is not None else error["msg"]
        return f"{where}: {what}" if where else what
    return None


def _check_line(number: int, raw: str) -> dict[str, Any]:
    try:
        line = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"line {number}: not valid JSON ({exc.msg})") from None
    if not isinstance(line, dict) or not isinstance(line.get("payload"), dict):
        raise ImportFileError(f"line {number}: expected an object with 'key' and 'payload'")
    payload = line["payload"]
    if line.get("key") != payload.get("key") or not isinstance(line.get("key"), str):
        raise ImportFileError(f"line {number}: 'key' is missing or differs from payload.key")
    if payload.get("kind") not in {k.value for k in Kind}:
        raise ImportFileError(f"line {number}: unknown kind {payload.get('kind')!r}")
    if payload["kind"] == Kind.recipe.value:
        try:
            recipe = Recipe.model_validate(payload.get("recipe"))
        except ValidationError as exc:
            raise ImportFileError(
                f"line {number}: invalid recipe ({exc.errors()[0]['msg']})"
            ) from None
        if payload["key"] != recipe_key(recipe.id) or payload.get("item_id") != recipe.id:
            raise ImportFileError(f"line {number}: key and item_id do not name recipe {recipe.id}")
        if not isinstance(payload.get("source"), str):
            raise ImportFileError(f"line {number}: a recipe needs its 'source' (seed, user)")
        # the rest of a recipe's payload (title, tags, text to embed) follows from the
        # recipe: rebuilt from it, nothing the file says otherwise is stored
        line["payload"] = recipe_payload(recipe, payload["source"])
    elif (problem := chunk_payload_problem(payload)) is not None:
        raise ImportFileError(f"line {number}: invalid chunk ({problem})")
    dense = line.get("dense")
    if dense is not None and not (
        isinstance(dense, list) and all(isinstance(x, int | float) for x in dense)
    ):
        raise ImportFileError(f"line {number}: 'dense' must be a list of numbers")
    return line


def read_export(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and checked lines of an export file, or ImportFileError naming the line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        with handle:
            return _read_lines(path, handle)
    except UnicodeDecodeError:
        raise ImportFileError(
            f"{path}: not UTF-8 text, so not an mlkb export; make one with `mlkb export`"
        ) from None


def _read_lines(path: Path, handle: IO[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        header = json.loads(handle.readline())
    except json.JSONDecodeError:
        header = None
    version = header.get("mlkb_export") if isinstance(header, dict) else None
    if isinstance(version, int) and version > FORMAT:
        raise ImportFileError(
            f"{path}: export format {version} comes from a newer mlkb (this one reads "
            f"format {FORMAT}); upgrade mlkb to import it"
        )
    if version != FORMAT:
        raise ImportFileError(
            f"{path}: line 1 is not an mlkb export header; make the file with `mlkb export`"
        )
    dropped = header.get(DROPPED, [])
    if not isinstance(dropped, list) or not all(isinstance(i, str) for i in dropped):
        raise ImportFileError(f"{path}: line 1: '{DROPPED}' must be a list of recipe ids")
    lines = []
    errors = []
    for number, raw in enumerate(handle, start=2):
        if not raw.strip():
            continue
        try:
            lines.append(_check_line(number, raw))
        except ImportFileError as exc:
            errors.append(exc.message)
    errors += _headless_chunks(lines)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ImportFileError(f"{path}: {errors[0]}{more}; nothing was imported")
    return header, lines


def _headless_chunks(lines: list[dict[str, Any]]) -> list[str]:
    """A document's chunks without its chunk 0, which carries the document: stored, they
    would answer searches while `show` and `rm` could not find their document."""
    chunks = [line["payload"] for line in lines if line["payload"]["kind"] != Kind.recipe.value]
    heads = {payload["doc_id"] for payload in chunks if payload["position"] == 0}
    missing = sorted({payload["doc_id"] for payload in chunks} - heads)
    return [f"document '{doc_id}' has chunks but no chunk 0" for doc_id in missing]


def import_store(kb: KnowledgeBase, path: Path) -> ImportReport:
    """Load an export into ``kb``; vectors are reused when the model matches, else recomputed."""
    header, lines = read_export(path)
    meta = kb.store.meta()
    reuse = (
        bool(header.get("vectors"))
        and meta is not None
        and header.get("model") == meta.model
        # exports made before int8 name no weights: theirs were fp32
        and header.get(WEIGHTS, "fp32") == store_weights(meta)
        and all("dense" in line for line in lines)
    )
    unchanged = 0
    # An empty store (a restore, a reindex) holds nothing to compare with.
    compare = kb.store.count(exact=False) > 0
    for start in range(0, len(lines), WRITE_BATCH):
        batch = lines[start : start + WRITE_BATCH]
        batch = _changed(kb, batch) if compare else batch
        unchanged += min(WRITE_BATCH, len(lines) - start) - len(batch)
        if not batch:
            continue
        # chunk 0 of a document holds its content hash: write it after the other chunks
        batch.sort(key=lambda line: line["payload"].get("position", 1) == 0)
        payloads = [line["payload"] for line in batch]
        kb.write_points(payloads, [line["dense"] for line in batch] if reuse else None)
    kb.store.optimize()
    keep_out(kb, header.get(DROPPED) or [])
    recipes = sum(1 for line in lines if line["payload"]["kind"] == Kind.recipe.value)
    documents = sum(1 for line in lines if line["payload"].get("position") == 0)
    return ImportReport(
        points=len(lines),
        recipes=recipes,
        documents=documents,
        reembedded=not reuse and unchanged < len(lines),
        unchanged=unchanged,
    )


def _changed(kb: KnowledgeBase, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines whose point is not already stored with the same payload: importing a
    backup into the store it came from embeds nothing again."""
    stored = {
        p.payload.get("key"): p.payload
        for p in kb.store.retrieve([point_id(line["key"]) for line in lines])
    }
    return [line for line in lines if stored.get(line["key"]) != line["payload"]]


def reindex(kb: KnowledgeBase) -> ImportReport:
    """Re-embed every point with the configured model, keeping all payloads.

    The points are first exported to a file under ``MLKB_HOME``; if the rebuild is
    interrupted, ``mlkb import`` of that file restores everything.
    """
    meta = kb.new_collection_meta()  # loads the new model: a bad name fails here, store intact
    kb.settings.home.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="reindex-", suffix=".jsonl", dir=kb.settings.home)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            export_store(kb, out)
    except BaseException:
        path.unlink(missing_ok=True)  # the store is untouched; the copy is not needed
        raise
    try:
        kb.store.create(meta)
        report = import_store(kb, path)
    except Exception as exc:
        raise StoreUnavailable(
            f"reindex was interrupted ({exc}); your data is safe in {path}: "
            f"run `mlkb import {path}`"
        ) from exc
    path.unlink()
    return report
