"""Figures many runs draw alike, drawn once per data and code version and then reused as saved bytes.

A function decorated with :func:`drawn_once` builds a finished figure (notes included) from its
arguments alone. Its result is kept in ``data/processed/derived/figures/`` as the PNG and SVG
bytes :func:`~khuyencong.views.plots.save_figure` would write, under a key of the function, its
arguments (tables by their content hash), the package code and matplotlib's version. Every call
returns a :class:`SavedFigure` that displays and saves those bytes, so a run that drew the figure
and a run that reused it store the same notebook and files. (The real record's chart of support
per project across provinces is the same in all 70 province runs: ~0.8 s each.)
"""
from __future__ import annotations

import base64
import functools
import importlib.metadata
import json
import logging
import time
from pathlib import Path

import pandas as pd

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.files import atomic_write_bytes, atomic_write_text

log = logging.getLogger(__name__)

FORMATS = ("png", "svg")


class SavedFigure:
    """A finished figure as its saved bytes: Jupyter shows the PNG, ``save_figure`` writes the files."""

    def __init__(self, files: dict[str, bytes], text: str):
        self.files, self.text = files, text

    def _repr_png_(self) -> str:
        # already base64, as Jupyter carries images: ipykernel encodes bytes itself, other
        # executors (ploomber-engine's in-process shell) do not
        return base64.b64encode(self.files["png"]).decode("ascii")

    def __repr__(self) -> str:
        return self.text  # the drawn figure's own, so both show the same text/plain


def drawn_once(func):
    """Cache ``func``'s figure (see the module); ``cache_dir`` keyword: where (default: paths)."""
    @functools.wraps(func)
    def wrapper(*args, cache_dir: Path | str | None = None, **kwargs):
        folder = _folder(cache_dir)
        record = {"function": f"{func.__module__}.{func.__qualname__}", "code": fp.code_version(),
                  "matplotlib": _matplotlib(), "args": [_plain(a) for a in args],
                  "kwargs": {k: _plain(v) for k, v in sorted(kwargs.items())}}
        key = fp.sha256_json(record)
        found = _read(folder, key)
        if found is not None:
            return found
        from khuyencong.views.plots import render

        fig = func(*args, **kwargs)
        saved = SavedFigure(render(fig, FORMATS), repr(fig))
        _write(folder, key, {k: record[k] for k in ("function", "code", "matplotlib")}, saved)
        return saved
    return wrapper


def prune(cache_dir: Path | str | None = None, orphan_after_s: float = 600.0) -> int:
    """Remove entries of another code or matplotlib version, and files whose record never came
    (after ``orphan_after_s``). Returns how many entries went."""
    folder = _folder(cache_dir)
    if not folder.is_dir():
        return 0
    current = (fp.code_version(), _matplotlib())
    removed = 0
    for key in sorted({p.name.split(".")[0] for p in folder.iterdir() if not p.name.startswith(".")}):  # not temp files
        record_path = folder / f"{key}.json"
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            stale = (record.get("code"), record.get("matplotlib")) != current
        except (OSError, ValueError):
            stale = all(time.time() - p.stat().st_mtime > orphan_after_s for p in folder.glob(f"{key}.*"))
        if stale:
            for p in folder.glob(f"{key}.*"):
                p.unlink(missing_ok=True)
            removed += 1
    return removed


def _folder(cache_dir: Path | str | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else paths.derived_dir() / "figures"


def _matplotlib() -> str:
    return importlib.metadata.version("matplotlib")


def _plain(value):
    """An argument as part of the key: tables by content hash, everything else as JSON sees it."""
    if isinstance(value, pd.DataFrame):
        return {"frame": fp.frame_hash(value), "columns": [str(c) for c in value.columns]}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"drawn_once: cannot key an argument of type {type(value).__name__}; "
                    "pass tables and plain values")


def _read(folder: Path, key: str) -> SavedFigure | None:
    try:
        record = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        files = {fmt: (folder / f"{key}.{fmt}").read_bytes() for fmt in FORMATS}
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # a damaged entry is drawn again
        log.warning("cached figure %s unreadable (%s): drawing again", key[:12], exc)
        return None
    return SavedFigure(files, record["text"])


def _write(folder: Path, key: str, record: dict, saved: SavedFigure) -> None:
    """The files, then the record (the entry exists once the record does)."""
    folder.mkdir(parents=True, exist_ok=True)
    for fmt, data in saved.files.items():
        atomic_write_bytes(folder / f"{key}.{fmt}", data)
    atomic_write_text(folder / f"{key}.json",
                      json.dumps({**record, "key": key, "text": saved.text}, sort_keys=True, indent=1) + "\n")
