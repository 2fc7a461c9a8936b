"""One small content-addressed store: results computed once per data and code version, kept as files.

An entry is some files ``<key>.<suffix>`` and, written after them, its record ``<key>.json``:
without the record the entry does not exist, so a crash between the two leaves nothing readable.
The key is the SHA-256 of what the entry depends on (input tables' hashes, the package code, the
parameters), so a stale entry is never read: a changed row or line of code makes a new key.
:meth:`Store.prune` removes the entries no run can read any more. The shared brief tables
(:mod:`khuyencong.analysis.area_tables`) and the figures many runs draw alike
(:mod:`khuyencong.views.figure_cache`) are both kept here, in ``data/processed/derived/``.

:class:`Recorded` is the same idea for files with fixed names (the index pages, maps and bundles): one
JSON record of name → key, and a file is made again only when its key changed.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Callable, Mapping

from khuyencong import fingerprint as fp
from khuyencong.files import atomic_write_bytes, atomic_write_text

log = logging.getLogger(__name__)


class Store:
    """Entries in ``folder``: files named by suffix, then their JSON record."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    @staticmethod
    def key(depends_on: Mapping) -> str:
        """The key of an entry: the hash of what it depends on."""
        return fp.sha256_json(depends_on)

    def read(self, key: str, suffixes: tuple[str, ...]) -> tuple[dict[str, bytes], dict] | None:
        """(files by suffix, record) of ``key``; None when absent or damaged (then computed again)."""
        try:
            record = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            files = {s: (self.folder / f"{key}.{s}").read_bytes() for s in suffixes}
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("stored entry %s unreadable (%s): computing again", key[:12], exc)
            return None
        return files, record

    def write(self, key: str, files: Mapping[str, bytes], record: Mapping) -> None:
        """The files, then the record (the entry exists once the record does)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in files.items():
            atomic_write_bytes(self.folder / f"{key}.{suffix}", data)
        body = json.dumps({**record, "key": key}, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
        atomic_write_text(self.folder / f"{key}.json", body)

    def prune(self, current: Callable[[dict], bool], orphan_after_s: float = 600.0) -> int:
        """Remove the entries whose record is not ``current`` (another code version) and files whose
        record never came (after ``orphan_after_s``: a writer may be between the two). Returns how
        many entries went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        keys = sorted({p.name.split(".")[0] for p in self.folder.iterdir()
                       if p.is_file() and not p.name.startswith(".")})  # not temp files
        for key in keys:
            try:
                stale = not current(json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8")))
            except (OSError, ValueError):  # no record, or a damaged one: the entry does not exist
                stale = all(time.time() - p.stat().st_mtime > orphan_after_s for p in self.folder.glob(f"{key}.*"))
            if stale:
                for p in self.folder.glob(f"{key}.*"):
                    p.unlink(missing_ok=True)
                removed += 1
        return removed


class Recorded:
    """Files with fixed names, each made again only when the key of what it is made from differs from
    the key recorded when it was last made: one JSON record (name → key) at ``path``."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            keys = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            keys = {}
        self.keys: dict[str, str] = keys if isinstance(keys, dict) else {}

    def current(self, name: str, key: str) -> bool:
        return self.keys.get(name) == key

    def made(self, name: str, key: str) -> None:
        self.keys[name] = key

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.keys, sort_keys=True, indent=0) + "\n")
