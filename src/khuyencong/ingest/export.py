"""Write a table as CSV (UTF-8 with BOM, opens in Excel), XLSX or Stata .dta; writes are atomic.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) are prefixed with ``'`` in CSV and XLSX (OWASP CSV injection advice);
text that is just a signed number (``-5``) and real numbers are left alone.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from khuyencong.files import atomic_path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-]?\d[\d.,]*([eE][+-]?\d+)?$")
STATA_NAME_MAX, STATA_LABEL_MAX = 32, 80


def safe_cell(value: object) -> object:
    """``'=1+1'`` → ``"'=1+1"``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _SIGNED_NUMBER.match(value):
        return "'" + value
    return value


def _safe_series(s: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        risky = s.str.startswith(FORMULA_START).fillna(False) & ~s.str.match(_SIGNED_NUMBER.pattern).fillna(False)
        return s.where(~risky, "'" + s)
    if s.dtype == object:
        return s.map(safe_cell)
    return s


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with formula-like text neutralised (numbers untouched)."""
    return df.apply(_safe_series) if len(df.columns) else df.copy()


def _write_csv(df: pd.DataFrame, tmp: Path) -> None:
    safe_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")


def _xlsx_value(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    return safe_cell(v)


def _write_xlsx(df: pd.DataFrame, tmp: Path, sheet: str = "data") -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append([safe_cell(str(c)) for c in df.columns])
    for row in df.astype(object).itertuples(index=False, name=None):
        ws.append([_xlsx_value(v) for v in row])
    wb.save(tmp)


def stata_names(columns) -> dict[str, str]:
    """Column → Stata-safe name: ASCII letters, digits and _, not starting with a digit, ≤ 32, unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        text = unicodedata.normalize("NFD", str(col).replace("đ", "d").replace("Đ", "D"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "var"
        if name[0].isdigit():
            name = "_" + name
        name = name[:STATA_NAME_MAX]
        base, k = name, 2
        while name.lower() in used:
            suffix = f"_{k}"
            name, k = base[: STATA_NAME_MAX - len(suffix)] + suffix, k + 1
        used.add(name.lower())
        out[col] = name
    return out


def stata_labels(columns, table: str | None = None) -> dict[str, str]:
    """Variable labels from the data dictionary (Vietnamese description and unit, ≤ 80 characters)."""
    from khuyencong.core.schemas import data_dictionary

    dd = data_dictionary()
    if table is not None:
        dd = dd[dd["table"] == table]
    dd = dd.drop_duplicates("column")
    labels = {}
    for _, r in dd[dd["column"].isin(list(columns))].iterrows():
        text = r["description_vi"] + (f" ({r['unit']})" if r["unit"] else "")
        labels[r["column"]] = text if len(text) <= STATA_LABEL_MAX else text[: STATA_LABEL_MAX - 1] + "…"
    return labels


def _stata_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool:
            s = s.astype("float64").astype("Int8") if s.isna().any() else s.astype("int8")
        if pd.api.types.is_extension_array_dtype(s.dtype) and pd.api.types.is_numeric_dtype(s.dtype):
            s = s.astype("float64")  # Stata missing for <NA>
        elif pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object).where(s.notna(), "")
        out[col] = s
    return pd.DataFrame(out, index=df.index)


def _write_dta(df: pd.DataFrame, tmp: Path, table: str | None) -> None:
    names = stata_names(df.columns)
    labels = {names[c]: text for c, text in stata_labels(df.columns, table).items()}
    frame = _stata_frame(df).rename(columns=names)
    frame.to_stata(tmp, write_index=False, version=118, variable_labels=labels)


def export_table(df: pd.DataFrame, path: Path | str, table: str | None = None) -> Path:
    """Write ``df`` by suffix: ``.csv`` (UTF-8 BOM), ``.xlsx`` or ``.dta`` (Stata 14+, Unicode).

    ``table`` names the processed table, to pick the .dta variable labels from the data dictionary.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    writers = {".csv": lambda t: _write_csv(df, t), ".xlsx": lambda t: _write_xlsx(df, t),
               ".dta": lambda t: _write_dta(df, t, table)}
    if suffix not in writers:
        raise ValueError(f"{path}: cannot export to {suffix!r}; use .csv, .xlsx or .dta")
    with atomic_path(path) as tmp:
        writers[suffix](tmp)
    return path
