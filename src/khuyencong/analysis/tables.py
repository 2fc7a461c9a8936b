"""Read the processed tables that notebooks analyse (``data/processed/*.parquet``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from khuyencong import paths
from khuyencong.errors import InputError

BUILD_HINT = {
    "published_figures": "make published",
    "official_stats": "make data",
    "register": "make clean-data",
    "survey": "make clean-data",
    "province_stats": "make clean-data",
    "plans": "make clean-data",
}


class MissingTableError(InputError, FileNotFoundError):
    """A processed table has not been built yet; the message names the command that builds it."""


def load(name: str, processed_dir: Path | str | None = None) -> pd.DataFrame:
    """One processed table by name; a missing table says which command builds it."""
    if name not in BUILD_HINT:
        raise InputError(f"unknown processed table {name!r}; known: {sorted(BUILD_HINT)}")
    path = Path(processed_dir or paths.processed_dir()) / f"{name}.parquet"
    if not path.exists():
        raise MissingTableError(f"{paths.relative_to_root(path)} is missing: run `{BUILD_HINT[name]}` first")
    return pd.read_parquet(path)


def data_status(*frames: pd.DataFrame) -> str:
    """"SYNTHETIC" if any row of any frame is synthetic, else "REAL"."""
    statuses = set()
    for frame in frames:
        statuses |= set(frame["data_status"].astype(str).unique())
    return "SYNTHETIC" if any(s.startswith("SYNTHETIC") for s in statuses) else "REAL"


#: Reference tables: real by construction, they decide a notebook's data status only when it reads nothing else.
REFERENCE_TABLES = ("published_figures", "official_stats")


def status_of(names, processed_dir: Path | str | None = None) -> str:
    """The data status ("SYNTHETIC" or "REAL") of a notebook reading the processed tables ``names``, as
    :class:`khuyencong.views.context.Context` decides it: the analysed tables, reference tables alone
    only when there is nothing else. Reads only the ``data_status`` column."""
    chosen = [n for n in names if n not in REFERENCE_TABLES] or list(names)
    folder = Path(processed_dir) if processed_dir else paths.processed_dir()
    frames = [pd.read_parquet(folder / f"{n}.parquet", columns=["data_status"]) for n in chosen]
    return data_status(*frames) if frames else "REAL"
