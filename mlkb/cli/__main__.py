"""``python -m mlkb.cli``: the same as the ``mlkb`` command."""

from mlkb.cli import main

main()
