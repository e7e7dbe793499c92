"""Run the ``mlkb`` console entry point in-process and capture what it prints."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """``mlkb ARGS`` through ``mlkb.cli.run``, as the console script runs it (less its exit)."""
    from mlkb.cli import run

    argv = sys.argv
    sys.argv = ["mlkb", *args]
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
