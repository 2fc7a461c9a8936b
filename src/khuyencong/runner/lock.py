"""``reports/.lock``: one regeneration at a time.

The lock is an OS file lock (``filelock``), so the system releases it when its holder dies,
however it dies. Beside it, a note says who holds it (pid, host, since when, command) so a
second run can say whom it waits for; a note left by a dead holder is reported and replaced.
"""
from __future__ import annotations

import json
import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from khuyencong import paths
from khuyencong.errors import EXIT_LOCKED, KhuyencongError
from khuyencong.files import atomic_write_text


class LockHeld(KhuyencongError, RuntimeError):
    """Another run holds the lock; the message says who."""

    exit_code = EXIT_LOCKED


def _describe(note: object) -> str:
    if not isinstance(note, dict):
        return "an unknown process (its note cannot be read)"
    return f"pid {note.get('pid')} on {note.get('host')} since {note.get('started')} ({note.get('command')})"


class RunLock:
    """Context manager: hold the OS lock ``path`` and keep the note ``note`` of who holds it."""

    def __init__(self, path: Path, note: Path, command: str | None = None):
        self.path, self.note = Path(path), Path(note)
        self.info = {"pid": os.getpid(), "host": socket.gethostname(),
                     "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "command": command or " ".join(sys.argv)}
        self.messages: list[str] = []
        self._lock = FileLock(self.path, timeout=0)

    def _holder(self) -> object:
        """The note's content: a dict when readable, None when absent, something else when garbage."""
        try:
            return json.loads(self.note.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return "unreadable"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            holder = self._holder()
            who = "a run that has not written its note yet" if holder is None else _describe(holder)
            raise LockHeld(f"another report run holds {paths.relative_to_root(self.path)}: {who}; "
                           "wait for it to finish") from None
        previous = self._holder()
        if previous is not None:
            self.messages.append(f"taking over a stale lock: {_describe(previous)} is no longer running")
        atomic_write_text(self.note, json.dumps(self.info) + "\n")

    def release(self) -> None:
        self.note.unlink(missing_ok=True)  # before the lock: the next holder's note must survive
        self._lock.release()

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
