"""Glob patterns for ``mlkb ingest files``: ``**`` matches as ``glob`` does, without
following links, so links that lead back up the tree cannot make it run forever."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ingest._glob import expand_glob


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in (
        "top.md",
        "a/one.md",
        "a/b/two.md",
        "a/b/two.txt",
        "c[1]/three.md",
        ".hidden/secret.md",
        "a/.dot.md",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# x\n")
    return tmp_path


def names(paths: list[Path], base: Path) -> list[str]:
    return [p.relative_to(base).as_posix() for p in paths]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("**/*.md", ["a/b/two.md", "a/one.md", "c[1]/three.md", "top.md"]),
        ("*.md", ["top.md"]),
        ("a/*.md", ["a/one.md"]),
        ("a/**/*.md", ["a/b/two.md", "a/one.md"]),
        ("a/**", ["a", "a/b", "a/b/two.md", "a/b/two.txt", "a/one.md"]),
        ("**/two.*", ["a/b/two.md", "a/b/two.txt"]),
        ("**/t?o.md", ["a/b/two.md"]),
        ("**/[ab]/*.md", ["a/b/two.md", "a/one.md"]),
        ("**/[!a]/*.md", ["a/b/two.md"]),
        ("**/[!x]op.md", ["top.md"]),
        ("**/[^t]op.md", ["top.md"]),  # a caret is literal in glob: ^ or t, not "not t"
        ("**/c[[]1]/*.md", ["c[1]/three.md"]),
        ("**/[!]]*.md", ["a/b/two.md", "a/one.md", "c[1]/three.md", "top.md"]),
    ],
)
def test_patterns_match_as_glob_does(tree: Path, pattern: str, expected: list[str]) -> None:
    assert names(expand_glob(tree / pattern), tree) == expected
    import glob  # the standard library agrees where it does not loop

    standard = sorted(glob.glob(str(tree / pattern), recursive=True))
    assert names([Path(p) for p in standard], tree) == expected


def test_a_linked_folder_is_not_walked_into(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``notes/**`` must not reach, through a link, what naming ``notes`` would not."""
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.md").write_text("# secret\n")
    os.symlink(outside, tree / "a" / "link")
    for pattern in ("a/**", "**", "**/*.md"):
        found = names(expand_glob(tree / pattern), tree)
        assert not any(name.startswith("a/link") for name in found), (pattern, found)


def test_links_back_up_the_tree_end_quickly(tree: Path) -> None:
    os.symlink("..", tree / "a" / "b" / "up")
    os.symlink(tree / "a", tree / "a" / "b" / "self")
    started = time.perf_counter()
    found = expand_glob(tree / "**" / "*.md")
    assert time.perf_counter() - started < 2
    assert names(found, tree) == ["a/b/two.md", "a/one.md", "c[1]/three.md", "top.md"]
