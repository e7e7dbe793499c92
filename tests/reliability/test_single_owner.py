"""One process owns an embedded store; a crashed owner never blocks the next one."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from mlkb.errors import StoreLocked
from tests.reliability import harness as h

HOLDER = """
import sys, time
from mlkb import KnowledgeBase, Settings
kb = KnowledgeBase(Settings())
kb.stats()
print('ready', flush=True)
time.sleep(120)
"""


def _holder(home: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [h.PYTHON, "-c", HOLDER],
        env=h.child_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_second_process_gets_a_clear_error_and_a_killed_owner_leaves_no_stale_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    holder = _holder(home)
    try:
        settings = Settings(home=home, embed_model="fake")
        with pytest.raises(StoreLocked, match=f"in use by process {holder.pid}"):
            KnowledgeBase(settings, embedder=FakeEmbedder())
        # the CLI: one line, exit 2, naming the holder and the fix
        assert h.run_here(monkeypatch, home, "stats", cwd=tmp_path) == 2
        err = capsys.readouterr().err
        assert f"process {holder.pid}" in err and "mlkb serve" in err
        assert "Traceback" not in err
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.communicate(timeout=30)
    # at once, with the dead owner's pid still written in the lock file
    assert str(holder.pid) in (h.store_folder(home) / ".mlkb.lock").read_text()
    with KnowledgeBase(Settings(home=home, embed_model="fake"), embedder=FakeEmbedder()) as kb:
        assert kb.stats()["recipes"] == 242
    assert h.run_here(monkeypatch, home, "stats", "--json", cwd=tmp_path) == 0
