"""PDF text to markdown with section headings, so chunks follow the paper's sections.

pypdf gives text line by line. A line becomes a heading when it matches a title in the
PDF's outline (bookmarks), or looks like a numbered section (``3.2 Attention``) or a
usual unnumbered one (``Abstract``, ``References``). Lines in between are joined into
paragraphs with hyphenation undone. The references list is dropped: it matches every
query and answers none.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

_NUMBERED = re.compile(
    r"^(?P<num>[1-9]\d?(?:\.\d{1,2}){0,3})\.?\s+(?P<title>[A-Z][^.!?;:,\d]{1,70})$"
)
_NAMED = re.compile(
    r"^(abstract|introduction|related work|background|method|methods|methodology|approach|"
    r"experiments?|experimental setup|results|evaluation|discussion|limitations|"
    r"conclusions?|future work|acknowledge?ments?|references|bibliography|appendix)$",
    re.I,
)
_DROP = re.compile(r"^(references|bibliography)$", re.I)


def pdf_to_markdown(data: bytes) -> tuple[str | None, str]:
    """The title (from the PDF metadata) and the text as markdown with ``##`` sections."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs what it repairs ("EOF marker not found"); a PDF it cannot read becomes
    # one failure in the ingest report instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or None
        outline = _outline_titles(reader)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable PDF ({exc})") from None
    lines = [ln.strip() for page in pages for ln in page.splitlines()]
    return (str(meta_title).strip() if meta_title else None), _to_markdown(lines, outline)


def _outline_titles(reader: Any) -> dict[str, int]:
    """Outline titles (normalised) and their depth, 1 for top-level sections."""
    titles: dict[str, int] = {}

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            elif getattr(item, "title", None):
                titles.setdefault(_norm(str(item.title)), depth)

    try:
        walk(reader.outline, 1)
    except Exception:  # a broken outline is only a lost hint
        return {}
    return titles


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _heading(line: str, outline: dict[str, int]) -> tuple[int, str] | None:
    if not line or len(line) > 90:
        return None
    if (depth := outline.get(_norm(line))) is not None:
        return min(depth, 4) + 1, line
    if (match := _NUMBERED.match(line)) and len(match.group("title").split()) <= 7:
        return min(match.group("num").count(".") + 2, 5), line
    if _NAMED.match(line):
        return 2, line
    return None


def _to_markdown(lines: list[str], outline: dict[str, int]) -> str:
    out: list[str] = []
    para: list[str] = []
    dropping = False

    def flush() -> None:
        if para and not dropping:
            out.append(_join(para))
        para.clear()

    for line in lines:
        if re.fullmatch(r"\d{1,4}", line):  # page numbers
            continue
        if not line:
            flush()
            continue
        heading = _heading(line, outline)
        if heading is None:
            para.append(line)
            continue
        flush()
        level, title = heading
        dropping = bool(_DROP.match(re.sub(r"^[\d.]+\s+", "", title)))
        if not dropping:
            out.append("#" * level + " " + title)
    flush()
    return "\n\n".join(out).strip()


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text.endswith("-") and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text
