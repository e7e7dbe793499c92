"""Validation errors in people's words, one per field: shared by the API's 422 answers and
the CLI's recipe checks.

pydantic reports a union's failure once per member (``hyperparameters.layers.int``,
``...float``, ...); those are merged into one problem at the field itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_TYPE_TAG = re.compile(r"[a-z-]+\[.*\]|constrained-[a-z]+|str|int|float|bool|none")


def where(loc: Iterable[Any], scopes: tuple[str, ...] = ()) -> str:
    """``metrics.auc`` for a loc, without a leading scope (``body``) or union member tags."""
    parts = list(loc)
    if parts and parts[0] in scopes:
        parts = parts[1:] or [parts[0]]
    while len(parts) > 1 and isinstance(parts[-1], str) and _TYPE_TAG.fullmatch(parts[-1]):
        parts.pop()
    return ".".join(str(p) for p in parts)


def _merge(messages: list[str]) -> str:
    """One message for the failed members of a union: "Input should be a, b or c"."""
    prefix = "Input should be "
    if len(messages) > 1 and all(m.startswith(prefix) for m in messages):
        options = [m.removeprefix(prefix) for m in messages]
        return prefix + ", ".join(options[:-1]) + " or " + options[-1]
    return "; ".join(messages)


def problems(
    errors: Iterable[Mapping[str, Any]],
    *,
    scopes: tuple[str, ...] = (),
    unknown_field: str = "is not a known field",
    missing: str | None = None,
    whole: str = "body",
) -> list[dict[str, str]]:
    """Every problem as ``{"loc": "metrics.auc", "msg": ...}``, one per field, in order.
    ``unknown_field`` and ``missing`` replace pydantic's words for those two errors."""
    by_loc: dict[str, list[str]] = {}
    for error in errors:
        msgs = by_loc.setdefault(where(error.get("loc", ()), scopes) or whole, [])
        msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            msg = unknown_field
        elif (
            error.get("type") == "string_too_short" and error.get("ctx", {}).get("min_length") == 1
        ):
            msg = "is empty (or only spaces); write something"
        elif error.get("type") == "missing" and missing is not None:
            msg = missing
        if msg not in msgs:
            msgs.append(msg)
    return [{"loc": loc, "msg": _merge(msgs)} for loc, msgs in by_loc.items()]
