"""Every error mlkb raises on purpose.

Each message says what went wrong and how to fix it, in one line. The edges translate
them once: the CLI prints the message and exits with ``exit_code``; the API answers with
``http_status`` and a JSON body ``{"error": <code>, "detail": <message>}``; the TUI
shows a notification.

    MlkbError                      exit 1 / HTTP 400
    ├── InputError                 bad input from the user        (exit 1, HTTP 400/422)
    │   ├── InvalidQuery           empty or oversized query       (HTTP 422)
    │   ├── InvalidRecipe          YAML/JSON that is not a valid recipe (HTTP 422)
    │   ├── DuplicateId            an id that is already taken    (HTTP 409)
    │   └── ImportFileError        a broken export/import file    (HTTP 422)
    ├── NotFound                   unknown id                     (exit 1, HTTP 404)
    ├── Interrupted                Ctrl-C in a long command       (exit 130)
    └── EnvironmentProblem         the machine, not the input     (exit 2, HTTP 503)
        ├── StoreLocked            embedded store held by another process
        ├── StoreUnavailable       store missing, unreadable, server unreachable
        ├── ModelMismatch          store built with another embedding model
        ├── ConfigError            contradictory or missing settings (keys, URLs)
        ├── SourceError            an external service failed (after retries)
        └── AuthError              missing or wrong API key       (HTTP 401)
"""

from __future__ import annotations


class MlkbError(Exception):
    """Base of every mlkb error; ``str(err)`` is the one-line message for people.

    ``hints`` say how to fix it on each edge (``cli``, ``api``, ``mcp``): a person at the
    command line runs ``mlkb docs``, an agent calls a route or a tool. ``message`` carries
    the CLI's hint; ``said_to`` gives another edge's, or the CLI's when it has none."""

    exit_code = 1
    http_status = 400
    code = "error"

    def __init__(self, message: str, *, hints: dict[str, str] | None = None) -> None:
        self.what = message
        self.hints = hints or {}
        self.message = self.said_to("cli")
        super().__init__(self.message)

    def said_to(self, edge: str) -> str:
        """The message with the hint for ``edge``."""
        hint = self.hints.get(edge, self.hints.get("cli"))
        return f"{self.what}; {hint}" if hint else self.what


class InputError(MlkbError):
    """The input is wrong; fixing it is up to the caller."""

    code = "bad_input"


class InvalidQuery(InputError):
    """A search query that is empty or too long."""

    http_status = 422
    code = "invalid_query"


class InvalidRecipe(InputError):
    """A recipe that does not validate."""

    http_status = 422
    code = "invalid_recipe"


class DuplicateId(InputError):
    """An id that is already used by another item."""

    http_status = 409
    code = "duplicate_id"


class ImportFileError(InputError):
    """An import file with a malformed line."""

    http_status = 422
    code = "invalid_import"


class NotFound(MlkbError):
    """No item with this id."""

    http_status = 404
    code = "not_found"


class Interrupted(MlkbError):
    """The user stopped a command (Ctrl-C); the message says what was kept."""

    exit_code = 130
    code = "interrupted"


class EnvironmentProblem(MlkbError):
    """Something about the machine or its services, not the input."""

    exit_code = 2
    http_status = 503
    code = "unavailable"


class StoreLocked(EnvironmentProblem):
    """The embedded store is open in another process."""

    code = "store_locked"


class StoreUnavailable(EnvironmentProblem):
    """The store cannot be opened or reached."""

    code = "store_unavailable"


class ModelMismatch(EnvironmentProblem):
    """The store was built with another embedding model or dimension."""

    http_status = 409
    code = "model_mismatch"


class ConfigError(EnvironmentProblem):
    """Settings that are missing or contradict each other. Over the API they are the
    server's settings, which its caller cannot change: 503."""

    code = "config_error"


class SourceError(EnvironmentProblem):
    """An external source (arXiv, Hub, Firecrawl, Tavily) failed after retries."""

    http_status = 502
    code = "source_error"


class AuthError(EnvironmentProblem):
    """A missing or wrong API key."""

    http_status = 401
    code = "unauthorized"
