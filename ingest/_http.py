"""Talking to external services: retries with backoff, ``Retry-After``, timeouts, pacing.

Two tools, one policy (``MLKB_HTTP_RETRIES``, ``MLKB_RETRY_BACKOFF``, ``MLKB_HTTP_TIMEOUT``):

- :func:`retry_session` is a ``requests.Session`` whose adapter retries 429/5xx and
  connection errors itself (urllib3 ``Retry``, honouring ``Retry-After``) and applies the
  timeout; clients that accept a session (Tavily, arXiv) use it.
- :func:`with_retries` wraps one call of a client that does not (Firecrawl, the Hub),
  reading the status and ``Retry-After`` from the exception it raises.

A failure is either the item's (:class:`ItemFailed`: reported, the run goes on) or the
service's (:class:`mlkb.errors.SourceError`: unreachable, or refusing the key).
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import SecretStr

from mlkb.errors import ConfigError, SourceError
from mlkb.settings import Settings

log = logging.getLogger("mlkb.ingest")

T = TypeVar("T")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_WAIT = 120.0
"""Longest single wait, whatever ``Retry-After`` asks for."""
URL_SETTINGS = {
    "arXiv": "MLKB_ARXIV_API_URL",
    "Firecrawl": "MLKB_FIRECRAWL_API_URL",
    "Tavily": "MLKB_TAVILY_API_URL",
    "the Hugging Face Hub": "HF_ENDPOINT",
}
"""The setting that points at each service, named in messages about reaching it."""


class ItemFailed(Exception):
    """One item could not be fetched; it is reported and the run goes on."""


@dataclass(frozen=True)
class Verdict:
    """What an exception raised by a client means."""

    message: str
    status: int | None = None
    retry_after: float | None = None
    unreachable: bool = False
    """The service, not the item: a connection error or timeout."""
    auth: bool = False
    """The service refused the credentials."""

    @property
    def retryable(self) -> bool:
        """Worth another try: rate limited, a server error, or no connection, except a host
        name that does not resolve: offline, or a misspelt URL, that lasts longer than the
        retries would wait (four of them took 15 s to say so)."""
        if self.unreachable and UNRESOLVED in self.message:
            return False
        return self.unreachable or self.status in RETRY_STATUS


Classify = Callable[[BaseException], Verdict | None]
"""Maps a client's exception to a Verdict, or None for exceptions that are not its."""


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(settings: Settings, attempt: int, asked: float | None = None) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): ``Retry-After`` if sent, else
    exponential from ``MLKB_RETRY_BACKOFF``."""
    wait = asked if asked is not None else settings.retry_backoff * (2**attempt)
    return min(wait, MAX_WAIT)


def with_retries(
    call: Callable[[], T],
    *,
    settings: Settings,
    service: str,
    what: str,
    classify: Classify,
    key_var: str | None = None,
) -> T:
    """Run ``call``, retrying 429/5xx and connection errors with backoff.

    Raises ItemFailed when the item cannot be had, SourceError when the service is
    unreachable after the retries or refuses the credentials in ``key_var``.
    """
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            verdict = classify(exc) or _unreadable(exc, service)
            if verdict is None:
                raise
            if verdict.retryable and attempt < settings.http_retries:
                wait = backoff(settings, attempt, verdict.retry_after)
                log.info(
                    "%s: %s; retry %d/%d in %.1f s",
                    service,
                    verdict.message,
                    attempt + 1,
                    settings.http_retries,
                    wait,
                )
                time.sleep(wait)
                attempt += 1
                continue
            raise failure(verdict, service=service, what=what, key_var=key_var) from None


def _unreadable(exc: BaseException, service: str) -> Verdict | None:
    """An answer the client library could not read: JSON of another shape than the
    service's (a wrong service URL, a proxy's page), seen as the library's own TypeError,
    KeyError or AttributeError. The item fails; the run goes on."""
    if isinstance(exc, TypeError | KeyError | AttributeError | IndexError):
        return Verdict(
            f"malformed response ({type(exc).__name__} while reading it); "
            f"check {URL_SETTINGS.get(service, 'the service URL setting')}"
        )
    return None


def failure(verdict: Verdict, *, service: str, what: str, key_var: str | None = None) -> Exception:
    """The exception for a final verdict: SourceError for the service, else ItemFailed."""
    if verdict.auth:
        hint = f"; check {key_var}" if key_var else ""
        return SourceError(f"{service} refused the request for {what} ({verdict.message}){hint}")
    if verdict.unreachable:
        setting = URL_SETTINGS.get(service, "the service URL setting")
        if "timed out" in verdict.message.lower():
            problem = f"did not answer within MLKB_HTTP_TIMEOUT ({verdict.message})"
        else:
            problem = f"is unreachable ({verdict.message})"
        return SourceError(
            f"{service} {problem} while fetching {what}; "
            f"check the network and {setting}, then rerun to finish"
        )
    return ItemFailed(verdict.message)


def classify_requests(exc: BaseException) -> Verdict | None:
    """Verdicts for ``requests`` exceptions (Firecrawl, Tavily and arXiv use requests)."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return _status_verdict(exc.response.status_code, exc.response.headers)
    if isinstance(exc, requests.exceptions.RetryError):
        return Verdict(f"gave up after retries ({_reason(exc)})")
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return Verdict(f"{type(exc).__name__}: {_reason(exc)}", unreachable=True)
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return Verdict("malformed response: not JSON")
    return None


def _status_verdict(status: int, headers: Mapping[str, str] | None) -> Verdict:
    return Verdict(
        f"HTTP {status}",
        status=status,
        retry_after=retry_after(headers),
        auth=status in (401, 403),
    )


UNRESOLVED = "the host name does not resolve"

_REASONS = (
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("Failed to resolve", UNRESOLVED),
    ("Name or service not known", UNRESOLVED),
    ("Temporary failure in name resolution", UNRESOLVED),
    ("nodename nor servname", UNRESOLVED),
    ("Connection reset", "connection reset"),
    ("RemoteDisconnected", "the server closed the connection"),
)


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in words (urllib3's own text runs to hundreds of
    characters of pool and object names)."""
    text = str(exc)
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return text.splitlines()[0][:120] if text else type(exc).__name__


def retry_session(settings: Settings) -> Any:
    """A ``requests.Session`` that retries 429/5xx and connection errors with exponential
    backoff (honouring ``Retry-After``) and applies ``MLKB_HTTP_TIMEOUT`` to every request."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import MaxRetryError, NameResolutionError
    from urllib3.util.retry import Retry

    class _Retry(Retry):
        def get_retry_after(self, response: Any) -> float | None:
            asked = super().get_retry_after(response)  # urllib3 allows up to 6 hours
            return None if asked is None else min(asked, MAX_WAIT)

        def increment(self, *args: Any, **kwargs: Any) -> Any:
            error = kwargs.get("error")
            if isinstance(error, NameResolutionError):  # see Verdict.retryable
                # urllib3 passes (method, url, response, error, _pool, ...) by position
                url = kwargs.get("url", args[1] if len(args) > 1 else None)
                pool: Any = kwargs.get("_pool", args[4] if len(args) > 4 else None)
                raise MaxRetryError(pool, url, error) from error
            return super().increment(*args, **kwargs)

    class _Adapter(HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = settings.http_timeout
            return super().send(request, **kwargs)

    retry = _Retry(
        total=settings.http_retries,
        connect=settings.http_retries,
        read=settings.http_retries,
        status=settings.http_retries,
        status_forcelist=sorted(RETRY_STATUS),
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        backoff_factor=settings.retry_backoff,
        backoff_max=MAX_WAIT,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = _Adapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Pacer:
    """At most one call per ``delay`` seconds (a per-source rate limit)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._last = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Sleep until the next call is allowed, then claim it."""
        with self._lock:
            pause = self._last + self.delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._last = time.monotonic()


def required_key(secret: SecretStr | None, var: str, signup: str) -> str:
    """The key's value, or ConfigError naming the variable before any request is made."""
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise ConfigError(
            f"{var} is not set",
            hints={
                "cli": f"get a key at {signup} and export {var}=...",
                "api": f"this server has no key for the service: whoever runs it sets {var} "
                "and restarts it",
            },
        )
    return value
