"""``python -m mlkb``: the same as the ``mlkb`` command."""

from mlkb.cli import main

main()
