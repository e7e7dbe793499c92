"""Requests any view can post; the app carries them out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from mlkb.errors import MlkbError
from mlkb.schema import Hit


@dataclass
class ShowSimilar(Message):
    """List the items most like this one."""

    item_id: str
    title: str


@dataclass
class OpenDetail(Message):
    """Read this item in full (``hit`` points to the chunk of a document)."""

    item_id: str
    hit: Hit | None = None


@dataclass
class OpenLink(Message):
    """Open this item's URL (a document's, or a recipe's first reference) in a browser."""

    item_id: str


@dataclass
class CopyId(Message):
    """Copy this item's id to the clipboard."""

    item_id: str


@dataclass
class Failed(Message):
    """A call to the knowledge base failed; the app shows why."""

    error: MlkbError


@dataclass
class FromThread(Message):
    """A call for the app's thread from another, posted without waiting for it: the app
    may be quitting, and a thread blocked on it would hold up the process's exit."""

    callback: Callable[..., Any]
    args: tuple[Any, ...]
