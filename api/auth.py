"""API keys: writes need ``MLKB_API_KEY``; reads need ``MLKB_API_READ_KEY`` when it is set.

Keys travel in the ``X-API-Key`` header and are compared in constant time. A server
started without ``MLKB_API_KEY`` accepts no writes at all.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from pydantic import SecretStr

from api.errors import WritesDisabled
from mlkb.errors import AuthError
from mlkb.settings import Settings

HEADER = "X-API-Key"


def key_matches(given: str | None, *keys: SecretStr | None) -> bool:
    """True when ``given`` equals one of the configured keys (constant-time comparison)."""
    if given is None:
        return False
    raw = given.encode("utf-8", "surrogateescape")
    matched = False
    for key in keys:
        if key is not None:
            matched |= hmac.compare_digest(raw, key.get_secret_value().encode("utf-8"))
    return matched


def check_read(settings: Settings, given: str | None) -> None:
    """Allow a read, or raise AuthError when a read key is configured and not sent."""
    if settings.api_read_key is None:
        return
    if not key_matches(given, settings.api_read_key, settings.api_key):
        raise AuthError(
            f"this server protects reads: send {HEADER} with the key in MLKB_API_READ_KEY "
            "(or MLKB_API_KEY)"
        )


def check_write(settings: Settings, given: str | None) -> None:
    """Allow a write, or raise WritesDisabled / AuthError."""
    if settings.api_key is None:
        raise WritesDisabled(
            "this server accepts no writes because MLKB_API_KEY was not set when it started; "
            "restart `mlkb serve` with MLKB_API_KEY set"
        )
    if not key_matches(given, settings.api_key):
        raise AuthError(
            f"writes need the {HEADER} header with the key in MLKB_API_KEY; "
            + ("the key sent is wrong" if given else "none was sent")
        )


def header_key(headers: Mapping[str, str] | None) -> str | None:
    """The API key in a header mapping (case-insensitive), if any."""
    if headers is None:
        return None
    for name, value in headers.items():
        if name.lower() == HEADER.lower():
            return value
    return None
