"""The ``mlkb`` command line. Commands are thin: they parse, call the core, and print.

Exit codes: 0 success; 1 bad input (unknown id, invalid recipe, empty query);
2 environment problem (store locked or unreachable, model mismatch, missing key);
130 interrupted.
"""

from __future__ import annotations

import os

# pydantic looks for plugins through every installed distribution's entry points on first
# use (about 0.2 s); mlkb uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer

from mlkb.cli import admin, recipes, search
from mlkb.cli._common import fail

app = typer.Typer(
    name="mlkb",
    help="ML engineering know-how: who has solved a problem like mine, and how?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
search.register(app)
app.add_typer(recipes.app, name="recipe")
admin.register(app)


def _register_wings() -> None:
    """Commands from the wings, each importing its heavy modules only when it runs."""
    from mlkb.cli import wings

    wings.register(app)


_register_wings()


def main() -> None:
    """Entry point of the ``mlkb`` console script."""
    from mlkb.errors import MlkbError

    # Click handles usage errors (exit 2) and typer.Exit; mlkb's own errors pass through it.
    try:
        app()
    except MlkbError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
