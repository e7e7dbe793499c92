"""Retries: a host name that does not resolve fails at once; a refused connection is
retried. No network: the errors are raised by hand, as the client libraries raise them."""

from __future__ import annotations

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

from ingest._http import UNRESOLVED, classify_requests, retry_session, with_retries
from mlkb.errors import SourceError
from mlkb.settings import Settings


def calls_until_failure(exc: Exception) -> int:
    """How often ``with_retries`` calls a function that always raises ``exc``."""
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise exc

    settings = Settings(http_retries=3, retry_backoff=0.0, embed_model="fake")
    with pytest.raises(SourceError) as err:
        with_retries(call, settings=settings, service="arXiv", what="x", classify=classify_requests)
    assert "\n" not in str(err.value)
    return calls


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    unresolved = requests.ConnectionError(
        "HTTPSConnectionPool(host='export.arxiv.org', port=443): Max retries exceeded "
        "(Caused by NameResolutionError(\"Failed to resolve 'export.arxiv.org'\"))"
    )
    assert calls_until_failure(unresolved) == 1
    assert UNRESOLVED in str(classify_requests(unresolved))
    refused = requests.ConnectionError("[Errno 111] Connection refused")
    assert calls_until_failure(refused) == 4  # the first try and three retries


def test_the_session_gives_up_on_an_unresolved_name_at_once() -> None:
    settings = Settings(http_retries=3, retry_backoff=0.0, embed_model="fake")
    retry = retry_session(settings).get_adapter("https://x").max_retries
    error = NameResolutionError("export.arxiv.org", None, OSError("no such host"))  # type: ignore[arg-type]
    with pytest.raises(MaxRetryError) as gave_up:  # called as urllib3's pool calls it
        retry.increment("GET", "/api/query", error=error, _pool=None)
    assert gave_up.value.url == "/api/query" and gave_up.value.reason is error
    again = retry.increment("GET", "/api/query", error=ConnectionRefusedError())
    assert again.total == 2  # other connection errors use up a retry and go on
