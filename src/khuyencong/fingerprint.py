"""What a report run depends on, as hashes: files, notebook code, and processed tables per province.

Hashes are cached in ``reports/.state/`` by (path, size, mtime_ns), so a run where nothing
changed reads no data file and imports no pandas for hashing. Table hashes are of the content
(schema + pandas row hashes), so a table rewritten with identical rows keeps its hash.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from khuyencong import paths
from khuyencong.files import atomic_write_text, sha256_file

CODE_COLUMNS = ("province_code", "province_code_2025")
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(value) -> str:
    return sha256_text(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


class HashCache:
    """File hashes and per-province table hashes, persisted as JSON in the state directory."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / "hashes.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.files: dict[str, list] = data.get("files", {})
        self.tables: dict[str, dict] = data.get("tables", {})
        self.dirty = False

    def _key(self, path: Path) -> str:
        path = Path(path).resolve()
        for base, prefix in ((paths.project_root(), ""), (paths.PACKAGE_DIR, "pkg:")):
            try:
                return prefix + path.relative_to(base).as_posix()
            except ValueError:
                continue
        return path.as_posix()

    def file(self, path: Path, kind: str = "bytes") -> str:
        """sha256 of a file's bytes (``kind="bytes"``) or of a notebook's code cells (``"notebook"``)."""
        st = os.stat(path)
        key = f"{kind}:{self._key(path)}"
        hit = self.files.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = notebook_code_hash(path) if kind == "notebook" else sha256_file(path)
        self.files[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def table(self, path: Path) -> dict:
        """``{"sha256": file hash, "all": content hash, "<code column>": {code: hash}}`` of a parquet table."""
        file_hash = self.file(path)
        entry = self.tables.get(file_hash)
        if entry is None:
            entry = table_hashes(path)
            entry["sha256"] = file_hash
            self.tables[file_hash] = entry
            self.dirty = True
        return entry

    def save(self, keep_tables: set[str] | None = None) -> None:
        if keep_tables is not None:
            stale = set(self.tables) - keep_tables
            for key in stale:
                del self.tables[key]
            self.dirty |= bool(stale)
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps({"files": self.files, "tables": self.tables}, sort_keys=True))
            self.dirty = False


def notebook_code_hash(path: Path) -> str:
    """Hash of the cells' types and sources and the kernel: stored outputs do not count."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [[c.get("cell_type"), "".join(c.get("source", ""))] for c in nb.get("cells", [])]
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    return sha256_json({"cells": cells, "kernel": kernel})


def _schema_and_rows(df):
    """(the table's column names and types as bytes, one hash per row in order)."""
    import pandas as pd

    schema = json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode()
    return schema, pd.util.hash_pandas_object(df, index=False).to_numpy()


def frame_hash(df) -> str:
    """sha256 of a DataFrame's schema and rows in order (the ``"all"`` hash of :func:`table_hashes`)."""
    schema, rows = _schema_and_rows(df)
    return hashlib.sha256(schema + rows.tobytes()).hexdigest()


def table_hashes(path: Path) -> dict:
    """Content hash of a parquet table, whole and per province code (one pass per code column)."""
    import pandas as pd

    df = pd.read_parquet(path)
    schema, rows = _schema_and_rows(df)

    def digest(part) -> str:
        return hashlib.sha256(schema + part.tobytes()).hexdigest()

    out: dict = {"all": digest(rows), "empty": digest(rows[:0])}
    for column in CODE_COLUMNS:
        if column in df.columns:
            groups = df.groupby(df[column].astype("string"), sort=True, dropna=True).indices
            out[column] = {str(code): digest(rows[idx]) for code, idx in groups.items()}
    return out


def rows_hash(entry: dict, code_column: str, code: str | None) -> str:
    """Hash of one province's rows (or the whole table when ``code`` is None or the table has no codes)."""
    if code is None or code_column not in entry:
        return entry["all"]
    return entry[code_column].get(code, entry["empty"])


def package_hash(cache: HashCache) -> str:
    """Hash of every file of the installed ``khuyencong`` package (code and data)."""
    files = sorted(p for p in paths.PACKAGE_DIR.rglob("*")
                   if p.is_file() and not _SKIP_PARTS & set(p.parts) and p.suffix != ".pyc")
    return sha256_json([[p.relative_to(paths.PACKAGE_DIR).as_posix(), cache.file(p)] for p in files])


def code_version() -> str:
    """:func:`package_hash` with the project's hash cache: the code version caches key their entries on."""
    return package_hash(HashCache(paths.state_dir()))


def lock_hash(cache: HashCache) -> str:
    """Hash of ``requirements.lock`` (the pinned environment), or "absent"."""
    lock = paths.project_root() / "requirements.lock"
    return cache.file(lock) if lock.exists() else "absent"


def tree_hash(cache: HashCache, root: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root`` (sorted; excluded top-level names skipped)."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and rel.parts[0] not in exclude and not _SKIP_PARTS & set(rel.parts):
            out[rel.as_posix()] = cache.file(p)
    return out
