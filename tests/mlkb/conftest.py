"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import pytest

from tests.cli_runner import run_cli


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``mlkb`` in-process: ``cli("search", "drift")`` gives code, out and err."""
    return lambda *args: run_cli(capsys, *args)
