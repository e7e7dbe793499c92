"""Glob patterns for ``mlkb ingest files``, with ``**`` that never follows a link.

``glob.glob(recursive=True)`` follows links to folders, so a link back up the tree
(``notes/a/up -> ..``) makes it walk the same folders over and over: two such links made
it run for minutes. Here ``**`` walks with ``os.walk``, which does not follow them, as
naming the folder itself does. Hidden files and folders are left out, as ``glob`` does."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from pathlib import Path


def expand_glob(pattern: Path) -> list[Path]:
    """The paths ``pattern`` matches, sorted; patterns without ``**`` go to ``glob``,
    which does not recurse."""
    parts = pattern.parts
    if "**" not in parts:
        return [Path(p) for p in sorted(glob.glob(str(pattern)))]
    first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = Path(*parts[:first]) if first else Path(".")
    matches = _matcher(parts[first:])
    found = [base] if first and matches("") and base.is_dir() else []  # `notes/**`: notes too
    for dirpath, dirnames, filenames in os.walk(base):  # followlinks=False: no loops
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        # a linked folder is not a match either: the caller would walk into it
        folders = [d for d in dirnames if not (here / d).is_symlink()]
        for name in [*folders, *sorted(f for f in filenames if not f.startswith("."))]:
            relative = (here / name).relative_to(base).as_posix()
            if matches(relative):
                found.append(here / name)
    return sorted(found)


def _matcher(parts: tuple[str, ...]) -> Callable[[str], re.Match[str] | None]:
    """A test for a path relative to the pattern's fixed folders: ``**`` spans any number
    of folders (none included), ``*`` and ``?`` stay within one name."""
    pieces = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            pieces.append(".*" if last else "(?:[^/]+/)*")
        else:
            pieces.append(_segment(part) + ("" if last else "/"))
    return re.compile("".join(pieces)).fullmatch


def _segment(part: str) -> str:
    """One name of a pattern as a regular expression."""
    out, i = [], 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := _set_end(part, i)) != -1:
            inner = part[i + 1 : end].replace("\\", "\\\\").replace("[", "\\[")
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            elif inner.startswith("^"):  # a literal caret, as glob reads it
                inner = "\\" + inner
            out.append(f"[{inner}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _set_end(part: str, start: int) -> int:
    """Where the ``[...]`` set opened at ``start`` closes, or -1 (then ``[`` is literal).
    A ``]`` first in the set, after any ``!``, belongs to it, as in ``glob``."""
    at = start + 1
    if at < len(part) and part[at] == "!":
        at += 1
    if at < len(part) and part[at] == "]":
        at += 1
    return part.find("]", at)
