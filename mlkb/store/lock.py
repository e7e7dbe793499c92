"""One process owns an embedded store: an advisory lock that names its holder.

The lock is ``fcntl.flock`` on ``<store>/.mlkb.lock``: the kernel drops it when the
holder exits or is killed, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from pathlib import Path
from typing import IO

from mlkb.errors import StoreLocked, StoreUnavailable

LOCK_NAME = ".mlkb.lock"


class StoreLock:
    """An exclusive, non-blocking lock on a store folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreLocked naming the holder."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot open the store at {self.path.parent}: {exc.strerror}; "
                "set MLKB_HOME to a writable folder"
            ) from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder, cmd = _read_holder(handle)
            handle.close()
            advice = (
                "this command needs the store itself: stop the server, then run it again"
                if cmd.startswith("mlkb serve")
                else "stop that process, or run `mlkb serve` and let the CLI go through it"
            )
            raise StoreLocked(
                f"the store at {self.path.parent} is in use by {holder}; {advice}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "cmd": _command()}))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.seek(0)
                self._file.truncate()
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _command() -> str:
    """This process's command, as a person would name it: ``mlkb serve``, ``pytest``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if name in ("__main__.py", "mlkb"):  # `python -m mlkb.cli ...` or the console script
        name = "mlkb"
    words = [a for a in sys.argv[1:3] if not a.startswith("-")] if name == "mlkb" else []
    return " ".join([name, *words])


def _read_holder(handle: IO[str]) -> tuple[str, str]:
    """``("process 12 (mlkb serve)", "mlkb serve")``, as far as the lock file tells."""
    try:
        handle.seek(0)
        info = json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return "another process", ""
    pid, cmd = info.get("pid"), str(info.get("cmd") or "")
    return (f"process {pid} ({cmd or '?'})" if pid else "another process"), cmd
