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
            holder = _read_holder(handle)
            handle.close()
            raise StoreLocked(
                f"the store at {self.path.parent} is in use by {holder}; stop that process, "
                "or run `mlkb serve` and let the CLI go through it (MLKB_API_URL)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "cmd": " ".join(sys.argv[:3])}))
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


def _read_holder(handle: IO[str]) -> str:
    try:
        handle.seek(0)
        info = json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return "another process"
    pid, cmd = info.get("pid"), info.get("cmd") or "?"
    return f"process {pid} ({cmd})" if pid else "another process"
