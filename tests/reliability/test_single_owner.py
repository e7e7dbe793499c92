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
from mlkb.seeds import shipped_ids
from tests.reliability import harness as h

HOLDER = """
import sys, time
from mlkb import KnowledgeBase, Settings
kb = KnowledgeBase(Settings())
kb.stats()
print('ready', flush=True)
time.sleep(120)
"""


def _holder(home: Path, argv: list[str] | None = None) -> subprocess.Popen[str]:
    """A process holding the store; ``argv`` is the command line it says it runs."""
    code = HOLDER if argv is None else f"import sys\nsys.argv = {argv!r}\n{HOLDER}"
    proc = subprocess.Popen(
        [h.PYTHON, "-c", code],
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
        assert kb.stats()["recipes"] == len(shipped_ids())
    assert h.run_here(monkeypatch, home, "stats", "--json", cwd=tmp_path) == 0


EXITING = """
import os, sys
from mlkb import KnowledgeBase, Settings
kb = KnowledgeBase(Settings())
if sys.argv[1] == "write":
    kb.delete("drift-psi-pricing")
else:
    assert kb.search("drift detection for pricing").hits
kb.close(exiting=True)
print("closed", flush=True)
sys.stdin.readline()
os._exit(0)
"""


@pytest.mark.parametrize("session", ["read", "write"])
def test_a_process_about_to_exit_leaves_a_read_store_locked_until_it_ends(
    tmp_path: Path, session: str
) -> None:
    """``close(exiting=True)`` (the ``mlkb`` command's): a session that only read keeps the
    shard and the lock until the process is gone; one that wrote closes as usual at once,
    its change durable."""
    home = tmp_path / "home"
    KnowledgeBase(Settings(home=home, embed_model="fake"), embedder=FakeEmbedder()).close()
    child = subprocess.Popen(
        [h.PYTHON, "-c", EXITING, session],
        env=h.child_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "closed"
        settings = Settings(home=home, embed_model="fake")
        if session == "read":
            with pytest.raises(StoreLocked, match=f"in use by process {child.pid}"):
                KnowledgeBase(settings, embedder=FakeEmbedder())
            assert child.stdin is not None
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.wait(timeout=30) == 0
        with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
            assert kb.stats()["recipes"] == len(shipped_ids()) - (session != "read")
    finally:
        child.kill()
        _, err = child.communicate(timeout=30)
    assert child.returncode in (0, -signal.SIGKILL) and "Traceback" not in err


def test_a_store_held_by_the_server_asks_to_stop_it(tmp_path: Path) -> None:
    """A command that needs the store itself (export, eval, reindex) is told to stop the
    server, not to start one; the holder is named as a person would name it."""
    home = tmp_path / "home"
    proc = _holder(home, ["mlkb", "serve", "--port", "9"])
    try:
        with pytest.raises(StoreLocked) as caught:
            KnowledgeBase(Settings(home=home, embed_model="fake"), embedder=FakeEmbedder())
        message = caught.value.message
        assert f"process {proc.pid} (mlkb serve)" in message
        assert "stop the server, then run it again" in message
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
