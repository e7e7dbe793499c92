"""Chunking: provenance, budgets, and properties that hold for any text."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlkb.chunking import ChunkBudget, chunk_markdown


class TriGrams:
    """A toy tokenizer: every run of up to three characters of a word is one piece. Words
    are the chunker's (runs of up to 40 non-space characters), so a piece never spans two;
    a real tokenizer may count a piece more or less where a run longer than 40 is cut."""

    def __init__(self, window: int) -> None:
        self.window = window

    def piece_starts(self, text: str) -> list[int]:
        return [
            word.start() + i
            for word in re.finditer(r"\S{1,40}", text)
            for i in range(0, len(word.group()), 3)
        ]


def test_sections_follow_headings_and_skip_code_fences() -> None:
    text = (
        "# Title\n\nIntro.\n\n## Setup\n\n```bash\n# not a heading\npip install x\n```\n\n"
        "### Details\n\nMore text here.\n"
    )
    chunks = chunk_markdown("file:a.md", text, ChunkBudget(max_words=50, overlap=5, min_words=1))
    assert [c.section for c in chunks] == [
        ["Title"],
        ["Title", "Setup"],
        ["Title", "Setup", "Details"],
    ]
    assert "# not a heading" in chunks[1].text


def test_long_sections_split_with_overlap_at_sentence_ends() -> None:
    """Chunks end at sentence ends and the next repeats the last whole sentences that fit
    the overlap (two of five words in twelve), never a fragment."""
    text = " ".join(f"Sentence number {i} ends here." for i in range(200))
    chunks = chunk_markdown("file:a.md", text, ChunkBudget(max_words=100, overlap=12, min_words=10))
    assert len(chunks) > 5
    for a, b in itertools.pairwise(chunks):
        assert a.text.endswith(".")  # cut at a sentence end
        assert b.text.startswith("Sentence number")  # at a sentence start
        repeated = text[b.start : a.end]
        assert repeated.count(".") == 2 and len(repeated.split()) == 10, repeated
    assert all(len(c.text.split()) <= 100 for c in chunks)


def test_a_sentence_longer_than_the_overlap_is_not_repeated_in_part() -> None:
    """When a chunk ends on a sentence longer than the overlap, the next starts after it:
    no sentence is cut, and a fragment would open the next chunk."""
    sentence = " ".join(f"w{k}" for k in range(29)) + " end."
    text = " ".join([sentence] * 12)  # sentences of 30 words
    chunks = chunk_markdown("file:a.md", text, ChunkBudget(max_words=100, overlap=10, min_words=10))
    assert len(chunks) > 3
    for a, b in itertools.pairwise(chunks):
        assert a.text.endswith("end.") and b.text.startswith("w0 ")
        assert b.start > a.end  # adjacent, nothing repeated


def test_a_sentence_cut_in_two_is_repeated_by_the_overlap() -> None:
    """Text without sentence ends is cut where the budget says, and the next chunk repeats
    the overlap's words before the cut, so the cut sentence keeps its context."""
    text = " ".join(f"w{k}" for k in range(300))
    chunks = chunk_markdown("file:a.md", text, ChunkBudget(max_words=100, overlap=10, min_words=10))
    assert len(chunks) > 3
    for a, b in itertools.pairwise(chunks):
        assert a.text.split()[-10:] == b.text.split()[:10]


def test_small_sections_merge() -> None:
    text = "# A\n\nshort.\n\n# B\n\nalso short.\n"
    chunks = chunk_markdown("file:a.md", text)
    assert len(chunks) == 1 and chunks[0].section == ["A"]


def test_budget_rejects_contradictions() -> None:
    with pytest.raises(ValueError):
        ChunkBudget(max_words=10, overlap=8)


pieces = st.sampled_from(
    ["ab", "c", " ", "xyz.", "\n", "\n\n", "# ", "## ", "```\n", "é", "\t", "~~~", "-", "w" * 50]
)
texts = st.lists(pieces, max_size=600).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=texts, max_words=st.integers(4, 80))
def test_chunks_cover_every_non_space_character(text: str, max_words: int) -> None:
    budget = ChunkBudget(max_words=max_words, overlap=max_words // 4, min_words=min(3, max_words))
    chunks = chunk_markdown("file:x", text, budget)
    covered = [False] * len(text)
    for i, c in enumerate(chunks):
        assert c.position == i
        assert c.text == text[c.start : c.end]
        assert c.text.strip(), "no empty chunks"
        assert len(re.findall(r"\S{1,40}", c.text)) <= max_words, "bounded size"
        for j in range(c.start, c.end):
            covered[j] = True
    for j, ch in enumerate(text):
        if not ch.isspace():
            assert covered[j], f"character {j} ({ch!r}) is in no chunk"


def test_pieces_bound_each_chunk_with_its_head() -> None:
    """Long words cost more pieces: the window, less the head, decides before the word
    budget does, and no chunk runs past it."""
    pieces = TriGrams(window=60)
    text = "# Methods\n\n" + " ".join(
        f"Immunohistochemistry{i} revealed hyperphosphorylation." for i in range(40)
    )
    head = lambda path: "A title\n" + " > ".join(path) + "\n"  # noqa: E731
    chunks = chunk_markdown("file:a.md", text, ChunkBudget(), pieces=pieces, head=head)
    unbounded = chunk_markdown("file:a.md", text, ChunkBudget())
    assert len(unbounded) == 1  # 120 words: one chunk by words alone
    assert len(chunks) > 5
    for c in chunks:
        used = len(pieces.piece_starts(head(c.section))) + len(pieces.piece_starts(c.text))
        assert used <= pieces.window
    for a, b in itertools.pairwise(chunks):
        assert a.start < b.start <= a.end  # progress, with overlap or adjacency


@settings(max_examples=200, deadline=None)
@given(text=texts, window=st.integers(3, 40))
def test_piece_bounded_chunks_cover_every_non_space_character(text: str, window: int) -> None:
    pieces = TriGrams(window)
    budget = ChunkBudget(max_words=30, overlap=5, min_words=3)
    chunks = chunk_markdown("file:x", text, budget, pieces=pieces)
    covered = [False] * len(text)
    for c in chunks:
        assert c.text == text[c.start : c.end] and c.text.strip()
        # A window holds its pieces, except a single word longer than the window.
        words = re.findall(r"\S{1,40}", c.text)
        assert len(pieces.piece_starts(c.text)) <= window or len(words) == 1
        for j in range(c.start, c.end):
            covered[j] = True
    assert all(covered[j] for j, ch in enumerate(text) if not ch.isspace())
