"""Read the Ministry of Finance provincial budget final accounts (``Vietnam_National_Budget_Final.csv``).

Layout: comma-separated, CR-only line endings, an unnamed first column (a row index carried
over from the scraper, kept as ``source_index``), ASCII province names (``Ha Tay``,
``Thua Thien - Hue``), one row per province and year 2006-2015, and some figures printed in
scientific notation with three significant digits (``3.00E+05``): those cells are listed in
the ``sci_notation`` column because their precision is lower than the others.

Units (the file does not say; established from magnitudes):

* ``total.rev``, ``total.exp``, ``balance.trans``, ``target.trans``, ``project.trans``,
  ``net.trans`` are **million VND**. Evidence: Hồ Chí Minh City's ``total.rev`` for 2006 is
  about 6.7e7, i.e. 67 thousand billion VND in million VND — the order of the city's published
  budget revenue for 2006 — whereas thousand VND would make it 67 billion VND (less than a
  rural district) and billion VND 67 quadrillion (far above Vietnam's whole GDP). The sum of
  ``total.rev`` over provinces is about 251 thousand billion VND in 2006 and 949 in 2015,
  just under the national state-budget revenue of those years (roughly 280 and 1,000
  thousand billion VND; the rest is collected centrally). No rescaling is needed.
* ``ratio`` is a **percent** (0-100): the share of shared revenues the province keeps
  (100 for most provinces; Hà Nội and Hồ Chí Minh City keep far less).
* ``net.trans`` equals ``total.rev - total.exp`` in every row of the file (positive: the
  province contributes more than it spends).
* ``year`` is the budget year.

Hà Tây (merged into Hà Nội on 1 August 2008) has rows for 2006-2008 and resolves to the
registry's pre-2008 record (code 28). Every row ends in ``data`` or ``rejected`` and the
:class:`~khuyencong.ingest.gso.Accounting` check proves it.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.ingest.gso import (
    AGGREGATE_KINDS,
    Accounting,
    GsoFormatError,
    check_unique,
    classify_name,
    raise_or_keep,
    rejected_frame,
    source_name,
)
from khuyencong.core.vnnumber import parse_number_series

__all__ = ["MofFormatError", "MofTable", "UNITS", "read_budget"]

NAME_COLUMN = "prov"
YEAR_COLUMN = "year"
INDEX_COLUMN = "source_index"
UNITS = {
    "total.rev": "million VND",
    "ratio": "percent",
    "total.exp": "million VND",
    "balance.trans": "million VND",
    "target.trans": "million VND",
    "project.trans": "million VND",
    "net.trans": "million VND",
}
MISSING = frozenset({"", "NA"})
_SCI_RE = re.compile(r"^[-+]?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+$")


class MofFormatError(GsoFormatError):
    """The file does not have the expected MOF budget layout."""


@dataclass
class MofTable:
    """Wide table: one row per province-year, value columns named as in the file."""

    data: pd.DataFrame
    rejected: pd.DataFrame
    source: str
    accounting: Accounting
    units: dict[str, str]
    boundaries: str = "legacy"  # the 63 provinces, plus Hà Tây before August 2008


def _read_records(path: Path, source: str) -> tuple[list[str], list[tuple[int, list[str]]], int, int]:
    # newline="" makes csv split on CR, LF and CRLF alike and count physical lines.
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        records = [(reader.line_num, rec) for rec in reader]
        lines_in_file = reader.line_num
    filled = [(line, rec) for line, rec in records if any(f.strip() for f in rec)]
    if not filled:
        raise MofFormatError(f"{source}: the file is empty")
    (header_line, header), rows = filled[0], filled[1:]
    for line, rec in rows:
        if len(rec) != len(header):
            raise MofFormatError(f"{source}, line {line}: {len(rec)} fields where the header (line {header_line}) has {len(header)}")
    return header, rows, len(records) - len(filled), lines_in_file


def _check_header(header: list[str], source: str) -> list[str]:
    """Column names as output: the unnamed first column becomes ``source_index``."""
    names = [h.strip() for h in header]
    if names[0] == "":
        names[0] = INDEX_COLUMN
    expected = {INDEX_COLUMN, NAME_COLUMN, YEAR_COLUMN, *UNITS}
    missing = sorted(expected - set(names))
    unknown = sorted(set(names) - expected)
    if missing or unknown or len(set(names)) != len(names):
        raise MofFormatError(
            f"{source}: header {header!r} does not match the MOF budget layout; missing {missing}, "
            f"unknown {unknown} (a new column needs its unit added to khuyencong.ingest.mof.UNITS)"
        )
    return names


def _numbers(raw: pd.Series, lines: list[int], source: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse one column: (values, missing mask, scientific-notation mask); unreadable cells raise."""
    text = raw.str.strip()
    missing = text.isin(MISSING).to_numpy()
    values, failed = parse_number_series(text.where(~missing, ""), decimal=".")
    bad = failed.to_numpy() | (values.isna().to_numpy() & ~missing)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise MofFormatError(
            f"{source}, line {lines[i]}, column {raw.name!r}: cannot read {raw.iat[i]!r} as a number "
            f"(English format such as 755768.814 or 3.00E+05; empty or NA for missing)"
        )
    return values, missing, text.str.match(_SCI_RE.pattern).to_numpy(dtype=bool)


def _integers(raw: pd.Series, lines: list[int], source: str, pattern: str, what: str) -> pd.Series:
    text = raw.str.strip()
    bad = ~text.str.fullmatch(pattern).to_numpy(dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise MofFormatError(f"{source}, line {lines[i]}, column {raw.name!r}: {raw.iat[i]!r} is not a {what}")
    return text.astype("int64")


def read_budget(path: Path | str, strict: bool = True) -> MofTable:
    """Read the MOF budget CSV into a wide frame with ``province_code`` and ``province_name``.

    Province names are resolved through the registry (legacy boundaries, Hà Tây included);
    unknown names raise :class:`~khuyencong.ingest.gso.UnknownNamesError` listing all of them
    (``strict=False``: kept in ``rejected``). Money columns are in million VND (see module doc).
    """
    path = Path(path)
    source = source_name(path)
    header, rows, blank, lines_in_file = _read_records(path, source)
    names = _check_header(header, source)
    raw = pd.DataFrame([rec for _, rec in rows], columns=names, dtype="string")
    lines = [line for line, _ in rows]
    results = [classify_name(n) for n in raw[NAME_COLUMN]]
    kinds = np.array([r.kind for r in results], dtype=object)
    rejected = rejected_frame(source, lines, list(raw[NAME_COLUMN]), results)
    raise_or_keep(rejected, strict)
    is_prov, is_agg = kinds == "province", np.isin(kinds, AGGREGATE_KINDS)
    if is_agg.any():
        i = int(np.flatnonzero(is_agg)[0])
        raise MofFormatError(f"{source}, line {lines[i]}: {raw[NAME_COLUMN].iat[i]!r} is a region or country total; "
                             "the MOF file is expected to hold provinces only")

    out = pd.DataFrame({
        INDEX_COLUMN: _integers(raw[INDEX_COLUMN], lines, source, r"\d+", "row index"),
        "province_code": pd.Series([r.code for r in results], dtype="string"),
        "province_name": pd.Series([r.name for r in results], dtype="string"),
        NAME_COLUMN: raw[NAME_COLUMN],
        YEAR_COLUMN: _integers(raw[YEAR_COLUMN], lines, source, r"\d{4}", "4-digit year"),
    })
    missing_cells = sci_cells = 0
    sci_columns = pd.Series("", index=raw.index, dtype="string")
    for col in UNITS:
        values, missing, sci = _numbers(raw[col], lines, source)
        out[col] = values
        missing_cells += int(missing.sum())
        sci_cells += int(sci.sum())
        sci_columns = sci_columns.where(~sci, sci_columns + np.where(sci_columns == "", "", ",") + col)
    out["sci_notation"] = sci_columns
    out["source_row"] = pd.Series(lines, dtype="int64")
    data = out[is_prov].reset_index(drop=True)
    check_unique(data.assign(name_as_printed=data[NAME_COLUMN]), ["province_code", YEAR_COLUMN], source, MofFormatError)
    accounting = Accounting(
        lines_in_file=lines_in_file, title_lines=0, blank_lines=blank, header_lines=1, rows_read=len(rows),
        province_rows=int(is_prov.sum()), aggregate_rows=0, rejected_rows=len(rejected),
        cells=len(rows) * len(UNITS), missing_cells=missing_cells, scientific_cells=sci_cells,
    ).check()
    return MofTable(data, rejected, source, accounting, dict(UNITS))
