"""Ids as typed and ids as stored."""

from __future__ import annotations

import pytest

from mlkb.records import escape_path, stored_id


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("file:~/notes/eval notes.txt", "file:~/notes/eval%20notes.txt"),
        ("file:/tmp/100% sure.md", "file:/tmp/100%25%20sure.md"),
        ("file:~/notes/eval%20notes.txt", "file:~/notes/eval%20notes.txt"),  # already stored form
        ("url:https://example.com/a b", "url:https://example.com/a%20b"),
        ("file:/tmp/100%.md", "file:/tmp/100%25.md"),  # a % that escapes nothing is the path's
        ("file:/tmp/100%25.md", "file:/tmp/100%25.md"),
        ("drift-psi-pricing", "drift-psi-pricing"),
        ("arxiv:1706.03762", "arxiv:1706.03762"),
    ],
)
def test_an_id_typed_with_its_paths_spaces_reads_as_stored(typed: str, stored: str) -> None:
    assert stored_id(typed) == stored


def test_escaped_paths_hold_no_whitespace() -> None:
    assert escape_path("a b\tc%d") == "a%20b%09c%25d"


def test_no_two_paths_share_an_id() -> None:
    """Escapes of one width: ``%2000`` was both a space before ``00`` and U+2000."""
    assert escape_path("a 00.md") == "a%2000.md"
    assert escape_path("a\u2000.md") == "a%E2%80%80.md"
