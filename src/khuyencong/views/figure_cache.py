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
from pathlib import Path

import pandas as pd

from khuyencong import fingerprint as fp
from khuyencong import paths
from khuyencong.store import Store
from khuyencong.views.chart_base import render

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
        store, key = Store(folder), Store.key(record)
        found = store.read(key, FORMATS)
        if found is not None:
            return SavedFigure(found[0], found[1]["text"])
        fig = func(*args, **kwargs)
        saved = SavedFigure(render(fig, FORMATS), repr(fig))
        store.write(key, saved.files, {**{k: record[k] for k in ("function", "code", "matplotlib")},
                                       "text": saved.text})
        return saved
    return wrapper


def prune(cache_dir: Path | str | None = None, orphan_after_s: float = 600.0) -> int:
    """Remove entries of another code or matplotlib version, and files whose record never came
    (after ``orphan_after_s``). Returns how many entries went."""
    current = (fp.code_version(), _matplotlib())
    return Store(_folder(cache_dir)).prune(lambda r: (r.get("code"), r.get("matplotlib")) == current,
                                           orphan_after_s)


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
