"""Heading-aware, token-bounded chunking with overlap and provenance.

A markdown text is cut into sections at its headings (``#`` to ``######``, not inside
code fences); each chunk remembers its heading path. Sections longer than the budget are
split at sentence ends where possible; the next chunk repeats the last sentences that
fit the overlap, or, where a sentence had to be cut, the overlap's words before the cut.
Small neighbouring sections are merged. Chunk text is always ``text[start:end]``.

Budgets are in words (runs of up to 40 non-space characters) and, given the model's
tokenizer (``Pieces``), in word pieces: a chunk and the head embedded with it (title,
section path) then fit the model's window, so no text is cut off unseen. Words alone do not
bound pieces: SciFact's abstracts average 1.7 pieces a word, and with a 160-word budget
29% of their chunks ran past all-MiniLM-L6-v2's 256-piece window.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

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


class Pieces(Protocol):
    """A model's tokenizer as the chunker sees it."""

    @property
    def window(self) -> int:
        """Word pieces one text may hold, special tokens excluded."""
        ...

    def piece_starts(self, text: str) -> Sequence[int]:
        """The character offset where each word piece of ``text`` starts."""
        ...


@dataclass
class _Section:
    path: list[str]
    start: int
    end: int
    words: list[tuple[int, int]]
    weights: list[int]
    """Word pieces per word (1 each when no tokenizer is given)."""


def chunk_markdown(
    doc_id: str,
    text: str,
    budget: ChunkBudget | None = None,
    *,
    pieces: Pieces | None = None,
    head: Callable[[list[str]], str] | None = None,
) -> list[Chunk]:
    """Cut ``text`` into chunks; every non-space character ends up in at least one chunk.

    With ``pieces``, a chunk also holds at most the model's window of word pieces, less
    those of ``head(section path)``, the text embedded before it."""
    budget = budget or ChunkBudget()
    sections = _sections(text, pieces)

    def limit(path: list[str]) -> int:
        if pieces is None:
            return budget.max_words  # a word is one unit: the word budget decides
        reserved = len(pieces.piece_starts(head(path))) if head is not None else 0
        return max(1, pieces.window - reserved)

    chunks: list[Chunk] = []
    for section in _merge_small(sections, budget, limit):
        for start, end in _windows(text, section, budget, limit(section.path)):
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


def _sections(text: str, pieces: Pieces | None) -> list[_Section]:
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
    all_words = [(mt.start(), mt.end()) for mt in _WORD.finditer(text)]
    weights = _piece_counts(text, all_words, pieces)
    sections = []
    first = 0  # index of the section's first word in all_words
    for i, (start, path) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
        last = first
        while last < len(all_words) and all_words[last][0] < end:
            last += 1
        if last > first:
            sections.append(_Section(path, start, end, all_words[first:last], weights[first:last]))
        first = last
    return sections


def _piece_counts(text: str, words: list[tuple[int, int]], pieces: Pieces | None) -> list[int]:
    """Word pieces per word: the tokenizer runs once over the whole text, and each piece
    counts for the word it starts in (pieces never span whitespace)."""
    if pieces is None or not words:
        return [1] * len(words)
    starts = np.asarray(pieces.piece_starts(text), dtype=np.int64)
    word_starts = np.fromiter((s for s, _ in words), dtype=np.int64, count=len(words))
    owner = np.searchsorted(word_starts, starts, side="right") - 1
    counts = np.bincount(owner[owner >= 0], minlength=len(words))
    return [max(1, int(c)) for c in counts]


def _merge_small(
    sections: list[_Section], budget: ChunkBudget, limit: Callable[[list[str]], int]
) -> list[_Section]:
    """Merge a section smaller than ``min_words`` into the next when both fit one chunk."""
    merged: list[_Section] = []
    for section in sections:
        prev = merged[-1] if merged else None
        path = (prev.path or section.path) if prev is not None else section.path
        if (
            prev is not None
            and len(prev.words) < budget.min_words
            and len(prev.words) + len(section.words) <= budget.max_words
            and sum(prev.weights) + sum(section.weights) <= limit(path)
        ):
            merged[-1] = _Section(
                path=path,
                start=prev.start,
                end=section.end,
                words=prev.words + section.words,
                weights=prev.weights + section.weights,
            )
        else:
            merged.append(section)
    return merged


def _windows(
    text: str, section: _Section, budget: ChunkBudget, limit: int
) -> list[tuple[int, int]]:
    """Character spans of overlapping windows over the section's words, each at most
    ``max_words`` words and ``limit`` pieces (a single longer word is a window alone)."""
    words, weights = section.words, section.weights
    n = len(words)
    if n <= budget.max_words and sum(weights) <= limit:
        return [(words[0][0], words[-1][1])]
    spans = []
    i = 0
    while i < n:
        j, used = i, 0
        while j < n and j - i < budget.max_words and used + weights[j] <= limit:
            used += weights[j]
            j += 1
        j = max(j, i + 1)
        size = j - i
        ends_sentence = False
        if j < n:  # prefer to end at a sentence end in the last third of the window
            for k in range(j, i + (2 * size) // 3, -1):
                if _ends_sentence(text, words[k - 1]):
                    j, ends_sentence = k, True
                    break
        spans.append((words[i][0], words[j - 1][1]))
        if j >= n:
            break
        # A window cut short by pieces overlaps less, so chunks do not repeat each other.
        overlap = min(budget.overlap, size // 3)
        i = max(_next_start(text, words, j, overlap, ends_sentence), i + 1)
    return spans


def _next_start(
    text: str, words: list[tuple[int, int]], end: int, overlap: int, ends_sentence: bool
) -> int:
    """The first word of the window after one that ends before word ``end``: the first
    sentence start among its last ``overlap`` words, so the overlap is whole sentences;
    ``end`` itself when the window ended on a sentence longer than that (no sentence is cut,
    so none lacks its context); ``overlap`` words back when it ended inside a sentence.
    Chunks that start at a sentence embed better than ones that open on a fragment: SciFact
    dense nDCG@10 0.6530 -> 0.6608, with 6% fewer word pieces to embed."""
    for k in range(end - overlap, end):
        if _ends_sentence(text, words[k - 1]):
            return k
    return end if ends_sentence else end - overlap


def _ends_sentence(text: str, word: tuple[int, int]) -> bool:
    return bool(_SENTENCE_END.search(text[word[0] : word[1]]))
