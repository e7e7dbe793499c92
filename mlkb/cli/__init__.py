"""The ``mlkb`` command line. Commands are thin: they parse, call the core, and print.

Exit codes: 0 success; 1 bad input (unknown id, invalid recipe, empty query);
2 environment problem (store locked or unreachable, model mismatch, missing key);
130 interrupted.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import inspect
import os
import sys
import threading
from typing import NoReturn

# pydantic looks for plugins through every installed distribution's entry points on first
# use (about 0.2 s); mlkb uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _collect_garbage_later(seconds: float = 1.0) -> None:
    """No cycle collection in a command's first second: imports build big heaps, and the
    full collections they trigger took 60-80 ms of a 0.6 s cold ``mlkb search``. A command
    that runs longer (an ingest, a server, the TUI) gets the collector back after that.
    A process that had turned it off itself keeps it off."""
    if not gc.isenabled():
        return
    gc.disable()
    timer = threading.Timer(seconds, gc.enable)
    timer.daemon = True  # the process may end before it fires
    timer.start()


_collect_garbage_later()  # before the imports below: they are most of that first second

import typer  # noqa: E402

from mlkb.cli import _common, admin, recipes, search  # noqa: E402
from mlkb.cli._common import fail  # noqa: E402

app = typer.Typer(
    name="mlkb",
    help="ML engineering know-how: who has solved a problem like mine, and how?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _print_version(asked: bool) -> None:
    if asked:
        from mlkb import __version__

        print(f"mlkb {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """ML engineering know-how: who has solved a problem like mine, and how?"""


search.register(app)
app.add_typer(recipes.app, name="recipe")
admin.register(app)


def _register_wings() -> None:
    """Commands from the wings, each importing its heavy modules only when it runs."""
    from mlkb.cli import wings

    wings.register(app)


_register_wings()


def _reflow(text: str) -> str:
    """A docstring as help: typer's rich mode keeps a paragraph's line breaks, so wrapped
    lines are joined (rich wraps them to the terminal); each ``Example`` keeps its line."""
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not line.startswith("Example"):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _reflow_help(group: typer.Typer) -> None:
    for command in group.registered_commands:
        doc = command.help or inspect.getdoc(command.callback)
        if doc:
            command.help = _reflow(doc)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _reflow_help(sub.typer_instance)


_reflow_help(app)


def run() -> None:
    """Run the command named by ``sys.argv``; ends with ``SystemExit`` as click does."""
    from mlkb.errors import MlkbError

    # Not standalone: click hands back usage errors, said here in one line like mlkb's own
    # (instead of a panel), and returns typer.Exit's code.
    try:
        code = app(standalone_mode=False, prog_name="mlkb")
    except MlkbError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except SystemExit as exc:
        if exc.code == 130:  # typer's answer to Ctrl-C inside a command, silent otherwise
            fail("interrupted", 130)
        raise
    except OSError as exc:  # the disk or the network, in a place no command checks itself
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", 2)
    except Exception as exc:
        if not hasattr(exc, "format_message"):  # not one of click's usage errors
            raise
        _usage_error(exc)
    if code == 130:  # typer's answer to Ctrl-C inside a command
        fail("interrupted", 130)
    if isinstance(code, int) and code:
        sys.exit(code)


def _usage_error(exc: Exception) -> NoReturn:
    """A click usage error in one line, naming the command's help; exit 2 (click's code)."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `mlkb` alone: its help, as click does
        exc.show()  # type: ignore[attr-defined]
        sys.exit(2)
    if type(exc).__name__ == "Abort":  # end of input at a prompt
        fail("aborted", 1)
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    fail(f"{message.rstrip('.')}{where}", int(getattr(exc, "exit_code", 2)))


def main() -> None:
    """Entry point of the ``mlkb`` console script: ends the process (``run`` does not)."""
    _common.process_ends_with_command = True
    try:
        run()
    except SystemExit as exc:
        _exit(exc.code)
    except BaseException:
        _close_stores_left_open()
        raise
    _exit(0)


def _close_stores_left_open() -> None:
    edge = sys.modules.get("mlkb.store.edge")  # loaded only if a command opened a store
    if edge is not None:
        edge.close_left_open()


def _exit(code: str | int | None) -> NoReturn:
    """Leave the process without tearing the interpreter down object by object.

    When a command returns, its store is closed and its output written; a normal exit then
    frees every module's objects one at a time (pydantic's and typing's caches), 0.12-0.2 s
    of a cold ``mlkb search``. atexit handlers still run, and a process with threads still
    running (other than daemons) exits the normal way, so nothing they do is cut short."""
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        _close_stores_left_open()
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`... | head -1`)
            stream.flush()
    if code is None or isinstance(code, int):
        os._exit(code or 0)
    sys.stderr.write(f"{code}\n")  # as sys.exit prints any other code, with status 1
    sys.stderr.flush()
    os._exit(1)
