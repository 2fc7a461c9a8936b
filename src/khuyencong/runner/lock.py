"""``reports/.lock``: one regeneration at a time; a lock left by a dead process is taken over."""
from __future__ import annotations

import json
import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from khuyencong.errors import EXIT_LOCKED, KhuyencongError


class LockHeld(KhuyencongError, RuntimeError):
    """Another run holds the lock; the message says who."""

    exit_code = EXIT_LOCKED


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _describe(info: dict) -> str:
    return (f"pid {info.get('pid')} on {info.get('host')} since {info.get('started')} "
            f"({info.get('command')})")


class RunLock:
    """Context manager: create ``path`` exclusively with pid, host, start time and command."""

    def __init__(self, path: Path, command: str | None = None):
        self.path = Path(path)
        self.info = {"pid": os.getpid(), "host": socket.gethostname(),
                     "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "command": command or " ".join(sys.argv)}
        self.messages: list[str] = []

    def _try_create(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.info, fh)
        return True

    def _holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return None

    def acquire(self) -> None:
        for _ in range(3):
            if self._try_create():
                return
            holder = self._holder()
            if holder == {}:
                continue  # released between our two calls
            if holder is None:
                raise LockHeld(f"{self.path} exists but cannot be read; if no run is going on, delete it")
            same_host = holder.get("host") == self.info["host"]
            if same_host and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
                self.messages.append(f"taking over a stale lock: {_describe(holder)} is no longer running")
                self.path.unlink(missing_ok=True)
                continue
            raise LockHeld(f"another report run holds {self.path.name}: {_describe(holder)}; "
                           f"wait for it to finish (or, if it is dead on another host, delete {self.path})")
        raise LockHeld(f"could not take {self.path} (it keeps reappearing)")

    def release(self) -> None:
        holder = self._holder()
        if holder and holder.get("pid") == self.info["pid"] and holder.get("host") == self.info["host"]:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
