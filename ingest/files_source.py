"""Local files (markdown, plain text, HTML, PDF) as ``note`` Documents.

Arguments are files, folders (walked for the supported types, skipping hidden ones) or
glob patterns (``**`` recurses). A document's id is ``file:<path relative to root>`` when a
root is given, else ``file:~/<path in the home folder>`` (or the absolute path outside
it): the same file keeps its id wherever the command runs from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pydantic import BaseModel, ConfigDict, Field

from ingest._glob import expand_glob
from ingest._pdf import pdf_to_markdown
from ingest._text import (
    decode_text,
    html_to_markdown,
    make_document,
    markdown_title,
    split_front_matter,
)
from ingest.pipeline import Item
from ingest.report import Failure, IngestReport, Skipped
from mlkb.errors import InputError, NotFound
from mlkb.records import escape_path
from mlkb.schema import Document, Kind
from mlkb.settings import Settings

NAME = "files"
SOURCE = "file"
FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


class Params(BaseModel):
    """``mlkb ingest files PATH_OR_GLOB... [--root DIR]``"""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1)
    root: str | None = None
    prune: bool = False
    """Remove the stored notes of files gone from the folders named in ``paths``."""
    within: str | None = None
    """Set by the server (``MLKB_FILES_ROOT``): every file must resolve below it."""


def check(params: Params, settings: Settings) -> None:
    """Files need no key; every argument must name at least one readable file."""
    expand(params.paths, _base(params), params.within, empty_folders=params.prune)


@dataclass
class Expansion:
    """The files an ingest reads, and the links among them that lead outside its fence."""

    files: list[Path]
    outside: list[Path] = field(default_factory=list)


def _root(params: Params) -> Path | None:
    """The folder ids are relative to, if one was given."""
    if not params.root:
        return None
    root = Path(params.root).expanduser().resolve()
    if not root.is_dir():
        raise InputError(f"root '{params.root}' is not a folder")
    return root


def _base(params: Params) -> Path:
    """Where relative paths are looked up: the root, else the current folder."""
    return _root(params) or Path.cwd().resolve()


def expand(
    paths: list[str], root: Path, within: str | None = None, *, empty_folders: bool = False
) -> Expansion:
    """The supported files named by ``paths``; InputError for one that names nothing (a
    folder with no files may be named when ``empty_folders``: a prune can empty it).

    With ``within`` (a server's MLKB_FILES_ROOT), an argument that leads outside it, by
    ``..`` or a link, is an InputError before anything is looked up, so an answer never
    tells what exists outside; a link found inside a folder that leads outside is left
    out and listed in ``outside``."""
    fence = Path(within).resolve() if within is not None else None
    found: list[Path] = []
    for arg in paths:
        if not arg.strip():
            raise InputError("an empty path; give files, folders or glob patterns")
        literal = _named(arg, root)
        if fence is not None and not _fixed_part(literal).resolve().is_relative_to(fence):
            raise InputError(f"'{arg}' is outside {fence}; name files below it")
        if glob.has_magic(arg) and not literal.exists():  # a name may hold [ ] * ?
            hits = expand_glob(literal)
            files = [p for p in hits if p.is_file() and p.suffix.lower() in FORMATS]
            files += [f for d in hits if d.is_dir() for f in _walk(d)]
        elif literal.is_dir():
            files = _walk(literal)
        elif literal.is_file():
            if literal.suffix.lower() not in FORMATS:
                raise InputError(
                    f"cannot read '{arg}': supported types are {', '.join(sorted(FORMATS))}"
                )
            files = [literal]
        elif literal.exists():
            raise InputError(f"'{arg}' is neither a file nor a folder")
        else:
            raise InputError(f"'{arg}' does not exist; give files, folders or glob patterns")
        if not files and not (empty_folders and literal.is_dir()):
            raise InputError(f"'{arg}' matches no {'/'.join(sorted(set(FORMATS.values())))} file")
        found.extend(files)
    expansion = Expansion(files=[])
    for path in dict.fromkeys(found):
        real = path.resolve()
        if fence is not None and not real.is_relative_to(fence):
            expansion.outside.append(path)
        elif real not in expansion.files:
            expansion.files.append(real)
    return expansion


def _named(arg: str, base: Path) -> Path:
    """The path an argument names: absolute, or relative to ``base``."""
    return Path(arg if os.path.isabs(arg) else base / arg)


def _fixed_part(path: Path) -> Path:
    """The leading folders of a glob pattern, before its first wildcard."""
    if path.exists() or not glob.has_magic(str(path)):
        return path
    parts = []
    for part in path.parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts)


def _walk(folder: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [
            Path(dirpath, f)
            for f in sorted(filenames)
            if not f.startswith(".") and Path(f).suffix.lower() in FORMATS
        ]
    return out


def file_id(path: Path, root: Path | None) -> str:
    """``file:<path relative to root>``, or without a root ``file:~/<path>`` in the home
    folder; absolute outside either. Whitespace is escaped."""
    home = Path.home().resolve()
    if root is not None and path.is_relative_to(root):
        rel = path.relative_to(root).as_posix()
    elif root is None and path.is_relative_to(home):
        rel = "~/" + path.relative_to(home).as_posix()
    else:
        rel = path.as_posix()
    return "file:" + escape_path(rel)


OUTSIDE_ROOT = "a link to a file outside MLKB_FILES_ROOT"


def fetch(params: Params, settings: Settings, report: IngestReport) -> Iterator[Item]:
    """Each file read and converted to markdown."""
    expansion = expand(params.paths, _base(params), params.within, empty_folders=params.prune)
    report.total = len(expansion.files) + len(expansion.outside)
    root = _root(params)
    for link in expansion.outside:
        yield Skipped(id_or_url=file_id(link.absolute(), root), error=OUTSIDE_ROOT)
    for path in expansion.files:
        yield read_file(path, root)


def prune(kb: Any, params: Params, report: IngestReport) -> None:
    """Remove the stored notes whose files are gone from the folders ``params`` names (the
    file deleted, renamed, or no longer of a supported type). Files are found by each
    note's ``file://`` address, so ids written relative to another root are matched too."""
    base = _base(params)
    named = [_named(arg, base) for arg in params.paths]
    folders = [p.resolve() for p in named if p.is_dir()]  # not files, not glob patterns
    if not folders:
        return
    for doc in stored_notes(kb):
        path = _path_of(doc.url)
        if path is None or not any(path.is_relative_to(f) for f in folders):
            continue
        if not path.is_file() or path.suffix.lower() not in FORMATS:
            kb.delete(doc.id)
            report.pruned.append(doc.id)


def stored_notes(kb: Any) -> list[Any]:
    """Every stored note (its head: id and ``file://`` address)."""
    stored, _ = kb.list_documents(source=[SOURCE], limit=sys.maxsize)
    return list(stored)


def noting(
    items: Iterable[Item], ids_by_url: dict[str, str], skipped: list[str] | None = None
) -> Iterator[Item]:
    """``items`` as they are, noting each note's id by its ``file://`` address, and the
    ids of files skipped (now empty or binary) in ``skipped``."""
    for item in items:
        if isinstance(item, Document) and item.url:
            ids_by_url[item.url] = item.id
        elif isinstance(item, Skipped) and item.error != OUTSIDE_ROOT and skipped is not None:
            skipped.append(item.id_or_url)  # a link refused is no news about its file
        yield item


def drop_skipped(kb: Any, skipped: list[str], report: IngestReport) -> None:
    """Remove the notes of files this run skipped: a file emptied, or overwritten with
    binary content, no longer says what its stored note does."""
    for doc_id in skipped:
        with contextlib.suppress(NotFound):  # most skipped files were never stored
            kb.delete(doc_id)
            report.pruned.append(doc_id)


def drop_other_ids(kb: Any, ids_by_url: dict[str, str], report: IngestReport) -> None:
    """Remove the notes stored under another id for a file this run stored (ids follow
    ``--root``, so the same file ingested with and without one would be two notes); the
    id just written stays."""
    if not ids_by_url:
        return
    for doc in stored_notes(kb):
        kept = ids_by_url.get(doc.url or "")
        if kept is not None and kept != doc.id:
            kb.delete(doc.id)
            report.pruned.append(doc.id)


def _path_of(url: str | None) -> Path | None:
    """The path of a ``file://`` address."""
    if not url or not url.startswith("file://"):
        return None
    return Path(url2pathname(urlsplit(url).path))


def read_file(path: Path, root: Path | None) -> Item:
    """One file as a note Document, or a Failure saying why it could not be read."""
    doc_id = file_id(path, root)
    fmt = FORMATS[path.suffix.lower()]
    try:
        stat = path.stat()
        raw = path.read_bytes()
    except OSError as exc:
        return Failure(id_or_url=doc_id, error=f"cannot read: {exc.strerror}")
    title: str | None = None
    tags: list[str] = []
    if fmt == "pdf":
        try:
            title, text = pdf_to_markdown(raw)
        except ValueError as exc:
            return Failure(id_or_url=doc_id, error=str(exc))
    else:
        try:
            text = decode_text(raw)
        except ValueError as exc:
            return Skipped(id_or_url=doc_id, error=str(exc))
        if fmt == "html":
            title, text = html_to_markdown(text)
        elif fmt == "markdown":
            front, text = split_front_matter(text)
            title = str(front["title"]) if front.get("title") else None
            raw_tags = front.get("tags") or []
            tags = [str(t) for t in (raw_tags if isinstance(raw_tags, list) else [raw_tags])]
    title = title or markdown_title(text) or _title_from_name(path)
    modified = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
    return make_document(
        id=doc_id,
        kind=Kind.note,
        source=SOURCE,
        title=" ".join(title.split())[:500],
        url=path.as_uri(),
        published=modified,
        tags=tags,
        metadata={
            "path": doc_id.removeprefix("file:"),
            "format": fmt,
            "bytes": stat.st_size,
            "modified": modified.isoformat(timespec="seconds"),
        },
        text=text.strip(),
    )


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name
