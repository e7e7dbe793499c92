"""Heading-aware, token-bounded chunking with overlap and provenance.

A markdown text is cut into sections at its headings (``#`` to ``######``, not inside
code fences); each chunk remembers its heading path. Sections longer than the budget are
split at sentence ends where possible, with an overlap so no sentence loses its context.
Small neighbouring sections are merged. Chunk text is always ``text[start:end]``.

Budgets are in words (runs of up to 40 non-space characters); for all-MiniLM-L6-v2,
160 words stay under its 256 word-piece window for ordinary English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlkb.schema import Chunk

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_WORD = re.compile(r"\S{1,40}")
_SENTENCE_END = re.compile(r"[.!?:;]['\")\]]?$")


@dataclass(frozen=True)
class ChunkBudget:
    """Chunk size limits, in words."""

    max_words: int = 160
    overlap: int = 24
    min_words: int = 40

    def __post_init__(self) -> None:
        if not 0 <= self.overlap < self.max_words // 2 or self.min_words > self.max_words:
            raise ValueError("need 0 <= overlap < max_words / 2 and min_words <= max_words")


@dataclass
class _Section:
    path: list[str]
    start: int
    end: int
    words: list[tuple[int, int]]


def chunk_markdown(doc_id: str, text: str, budget: ChunkBudget | None = None) -> list[Chunk]:
    """Cut ``text`` into chunks; every non-space character ends up in at least one chunk."""
    budget = budget or ChunkBudget()
    sections = _merge_small(_sections(text), budget)
    chunks: list[Chunk] = []
    for section in sections:
        for start, end in _windows(text, section.words, budget):
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    position=len(chunks),
                    section=section.path,
                    text=text[start:end],
                    start=start,
                    end=end,
                )
            )
    return chunks


def _sections(text: str) -> list[_Section]:
    """Split at headings; the heading line belongs to the section it opens."""
    bounds: list[tuple[int, list[str]]] = [(0, [])]
    stack: list[tuple[int, str]] = []
    in_fence = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _HEADING.match(line.rstrip("\r\n"))):
            level, title = len(match.group(1)), match.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            bounds.append((offset, [t for _, t in stack]))
        offset += len(line)
    sections = []
    for i, (start, path) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
        words = [(mt.start(), mt.end()) for mt in _WORD.finditer(text, start, end)]
        if words:
            sections.append(_Section(path=path, start=start, end=end, words=words))
    return sections


def _merge_small(sections: list[_Section], budget: ChunkBudget) -> list[_Section]:
    """Merge a section smaller than ``min_words`` into the next when both fit one chunk."""
    merged: list[_Section] = []
    for section in sections:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and len(prev.words) < budget.min_words
            and len(prev.words) + len(section.words) <= budget.max_words
        ):
            merged[-1] = _Section(
                path=prev.path or section.path,
                start=prev.start,
                end=section.end,
                words=prev.words + section.words,
            )
        else:
            merged.append(section)
    return merged


def _windows(text: str, words: list[tuple[int, int]], budget: ChunkBudget) -> list[tuple[int, int]]:
    """Character spans of overlapping windows over ``words``."""
    n = len(words)
    if n <= budget.max_words:
        return [(words[0][0], words[-1][1])]
    spans = []
    i = 0
    while i < n:
        j = min(i + budget.max_words, n)
        if j < n:  # prefer to end at a sentence end in the last third of the window
            floor = i + (2 * budget.max_words) // 3
            for k in range(j, floor, -1):
                s, e = words[k - 1]
                if _SENTENCE_END.search(text[s:e]):
                    j = k
                    break
        spans.append((words[i][0], words[j - 1][1]))
        if j >= n:
            break
        i = max(j - budget.overlap, i + 1)
    return spans
