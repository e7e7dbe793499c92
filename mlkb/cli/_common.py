"""What the commands share: settings, opening the knowledge base, printing."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

process_ends_with_command = False
"""True in the ``mlkb`` console script (set by ``mlkb.cli.main``): the process ends when the
command returns, so a store that was only read is left open for the OS to release."""

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # errors stay one line

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def fail(message: str, code: int) -> NoReturn:
    """Print a one-line error and exit. The message is shown as written: brackets in an id
    or a path are not read as markup."""
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    sys.exit(code)


def settings() -> Any:
    """Settings from the environment; a bad variable is a config error, not a traceback."""
    from pydantic import ValidationError

    from mlkb.errors import ConfigError
    from mlkb.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        msg = err["msg"].removeprefix("Value error, ")
        if not field:  # a check across settings names its variables itself
            raise ConfigError(msg) from None
        name = field if field.isupper() else f"MLKB_{field.upper()}"
        raise ConfigError(f"{name}: {msg}") from None


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (it may be swapped after start-up)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _log_to_stderr() -> None:
    logger = logging.getLogger("mlkb")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
        logger.setLevel(logging.INFO)


@contextmanager
def open_kb(
    *, check_model: bool = True, local_only: bool = False, to_search: bool = False
) -> Iterator[Any]:
    """The knowledge base: through a running ``mlkb serve`` when there is one, else the store.
    ``to_search``: the command will embed a query, so its model loads while the store opens."""
    _log_to_stderr()
    cfg = settings()
    if not local_only:
        from mlkb.remote import find_server

        url = find_server(cfg)
        if url is not None:
            from mlkb.remote import RemoteKnowledgeBase

            yield RemoteKnowledgeBase(url, cfg)
            return
    from mlkb.kb import KnowledgeBase

    kb = KnowledgeBase(cfg, check_model=check_model, prepare_query=to_search)
    try:
        yield kb
    finally:
        kb.close(exiting=process_ends_with_command)


def refuse_to_overwrite(path: Path, force: bool, example: str) -> None:
    """A file the command would write over is kept unless the user said ``--force``: it is
    often yesterday's backup."""
    from mlkb.errors import InputError

    if path.is_dir():
        raise InputError(f"'{path}' is a folder; name a file in it, e.g. {path / example}")
    if path.exists() and not force:
        raise InputError(f"{path} exists; name another file, or pass --force to replace it")


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
