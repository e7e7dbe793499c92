"""Requests any view can post; the app carries them out."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

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
