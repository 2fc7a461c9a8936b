"""Official provincial statistics in ``data/raw/official/`` → one long table ``official_stats``.

Every GSO PX-Web export under ``data/raw/official/gso/`` is read by
:func:`khuyencong.ingest.gso.read_pxweb`, every MOF budget file under ``data/raw/official/mof/``
by :func:`khuyencong.ingest.mof.read_budget`; the files stay exactly as downloaded (provenance
in ``data/raw/provenance.yml``). The output has one row per province, year and measure:

``province_code`` (legacy), ``province_code_2025``, ``province_name``, ``boundaries``, ``year``,
``series`` (the table: GSO title or ``MOF budget final accounts``), ``measure`` (column measure
such as ``Total``, ``Male`` or the MOF column name; empty when the table has one), ``value``,
``unit``, ``status`` (``prel``/``final``), ``source`` (file relative to the project) and
``data_status`` (``REAL (official)``). Cells printed ``..`` (no observation) are not rows.

``official_stats_accounting.csv`` says, per file, where every row went (provinces, aggregates,
rejected) and how many cells were missing, like ``row_accounting.csv`` for the cleaned datasets.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from khuyencong import paths
from khuyencong.core import provinces
from khuyencong.files import atomic_path
from khuyencong.ingest import gso, mof
from khuyencong.ingest.export import safe_frame

log = logging.getLogger(__name__)

OUTPUT_STEM = "official_stats"
ACCOUNTING_NAME = "official_stats_accounting.csv"
DATA_STATUS = "REAL (official)"
MOF_SERIES = "MOF budget final accounts"
COLUMNS = ["province_code", "province_code_2025", "province_name", "boundaries", "year", "series", "measure",
           "value", "unit", "status", "source", "data_status"]
# Units GSO prints in the table's notes, not in the CSV: recognised from words of the title.
GSO_UNITS = (
    ("index", "previous year = 100"),
    ("percentage", "percent"),
    ("population", "thousand persons"),
    ("labour force", "thousand persons"),
)
UNIT_NOT_STATED = "as in the GSO table (unit not in the export)"


def official_dir() -> Path:
    return paths.raw_dir() / "official"


def gso_unit(title: str) -> str:
    lower = title.lower()
    return next((unit for word, unit in GSO_UNITS if word in lower), UNIT_NOT_STATED)


def series_title(title: str) -> str:
    """``Index of ... by province by Cities, provincies and Year`` → ``Index of ... by province``."""
    return " ".join(re.sub(r"\(\*+\)", " ", title.split(" by Cities")[0]).split())


def _with_codes(frame: pd.DataFrame) -> pd.DataFrame:
    frame["province_code_2025"] = frame["province_code"].map(lambda c: provinces.get(c).new_code).astype("string")
    frame["boundaries"] = gso.BOUNDARIES
    frame["data_status"] = DATA_STATUS
    return frame


def gso_rows(table: gso.GsoTable) -> pd.DataFrame:
    """The values of a GSO table as rows of the long table (cells printed ``..`` are not rows)."""
    rows = table.data.loc[table.data["value"].notna()]
    out = pd.DataFrame({
        "province_code": rows["province_code"], "province_name": rows["province_name"],
        "year": rows["year"].astype("Int64"), "series": series_title(table.title), "measure": rows["measure"],
        "value": rows["value"], "unit": gso_unit(table.title), "status": rows["status"], "source": table.source,
    })
    return _with_codes(out)


def _from_mof(table: mof.MofTable) -> pd.DataFrame:
    data = table.data
    long = data.melt(id_vars=["province_code", "province_name", mof.YEAR_COLUMN], value_vars=list(table.units),
                     var_name="measure", value_name="value").dropna(subset=["value"])
    out = pd.DataFrame({
        "province_code": long["province_code"], "province_name": long["province_name"],
        "year": long[mof.YEAR_COLUMN].astype("Int64"), "series": MOF_SERIES, "measure": long["measure"],
        "value": long["value"], "unit": long["measure"].map(table.units), "status": "final", "source": table.source,
    })
    return _with_codes(out)


def _accounting_row(source: str, acc: gso.Accounting, kept: int) -> dict:
    return {"source": source, "rows_read": acc.rows_read, "province_rows": acc.province_rows,
            "aggregate_rows": acc.aggregate_rows, "rejected_rows": acc.rejected_rows, "cells": acc.cells,
            "missing_cells": acc.missing_cells, "values_kept": kept}


def read_official(directory: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(long table, accounting) for every file under ``directory`` (default ``data/raw/official``)."""
    root = Path(directory) if directory is not None else official_dir()
    parts, accounting = [], []
    for path in sorted(root.glob("gso/*.csv")):
        table = gso.read_pxweb(path)
        parts.append(gso_rows(table))
        accounting.append(_accounting_row(table.source, table.accounting, len(parts[-1])))
    for path in sorted(root.glob("mof/*.csv")):
        table = mof.read_budget(path)
        parts.append(_from_mof(table))
        accounting.append(_accounting_row(table.source, table.accounting, len(parts[-1])))
    frame = pd.concat(parts, ignore_index=True)[COLUMNS] if parts else pd.DataFrame(columns=COLUMNS)
    for col in ("province_code", "province_name", "series", "measure", "unit", "status", "source"):
        frame[col] = frame[col].astype("string")
    frame = frame.sort_values(["series", "measure", "province_code", "year"], kind="stable").reset_index(drop=True)
    return frame, pd.DataFrame(accounting)


def build_official(processed_dir: Path | str | None = None) -> pd.DataFrame:
    """Write ``official_stats.parquet`` (+ ``.csv`` with BOM) and its accounting to data/processed."""
    out = Path(processed_dir) if processed_dir is not None else paths.processed_dir()
    out.mkdir(parents=True, exist_ok=True)
    frame, accounting = read_official()
    with atomic_path(out / f"{OUTPUT_STEM}.parquet") as tmp:
        frame.to_parquet(tmp, index=False)
    with atomic_path(out / f"{OUTPUT_STEM}.csv") as tmp:
        safe_frame(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")  # no live formula
    with atomic_path(out / ACCOUNTING_NAME) as tmp:
        accounting.to_csv(tmp, index=False, lineterminator="\n")
    log.info("official statistics: %d values from %d file(s) → %s.parquet", len(frame), len(accounting), OUTPUT_STEM)
    return frame
