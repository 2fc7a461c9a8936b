"""One raw file read into canonical columns, before any parsing: :class:`RawTable` and its helpers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.ingest.headers import unit_scale


@dataclass
class RawTable:
    """One raw file read into canonical columns; cells are exactly as in the file (NFC text)."""

    frame: pd.DataFrame  # canonical columns + source_row
    dataset: str
    source: str
    sheet: str | None = None
    header_map: dict[str, str] = field(default_factory=dict)  # canonical → header as printed
    unit_scale: dict[str, float] = field(default_factory=dict)  # money column → factor to million VND
    ignored_headers: list[str] = field(default_factory=list)
    encoding: str | None = None
    header_rows: tuple[int, ...] = ()
    decimal: str = ","
    # Read through a mapping (khuyencong.ingest.annex_table): what the annex reader already found.
    found: pd.DataFrame | None = None  # row issues (pos, column, check, problem, fix, severity)
    extra_problems: list = field(default_factory=list)  # problems on structure rows (e.g. a total)
    rows_structure: int = 0  # title, header, section, subtotal, total, blank and note rows
    structure: list = field(default_factory=list)  # those rows, with the sums they state and reconcile
    from_document: bool = False  # a published document (read through a mapping), not our template

    def __len__(self) -> int:
        return len(self.frame)

    def header(self, column: str) -> str:
        """The header as printed for a canonical column (the column name if it was absent)."""
        return self.header_map.get(column, column)


# ---------------------------------------------------------------- blank rows

def blank_mask(series: pd.Series) -> pd.Series:
    """True where a cell is empty (missing, or text that is only spaces)."""
    if series.dtype == object:
        return series.map(lambda v: v is None or (isinstance(v, float) and v != v)
                          or (isinstance(v, str) and not v.strip())).astype(bool)
    if pd.api.types.is_string_dtype(series.dtype):
        return series.isna() | (series.str.strip() == "")
    return series.isna()


_VN_NUMBER = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$"
_EN_NUMBER = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"


def detect_decimal(frame: pd.DataFrame, dataset: str, chunk: int = 50_000, enough: int = 1000) -> str:
    """The file's decimal mark: ``"."`` when number cells fit only English (``12.5``, ``1234.56``) and
    none fit only Vietnamese (``12,5``); otherwise ``","``. Cells that do not fit the chosen mark fail
    to parse and are reported, so a file mixing both never passes silently. Scans chunk by chunk
    until ``enough`` telling cells are seen."""
    cols = [c.name for c in ds.DATASETS[dataset].columns
            if c.kind in ("money", "float", "int") and c.name in frame]
    en_only = vn_only = 0
    for start in range(0, len(frame), chunk):
        for name in cols:
            s = frame[name].iloc[start:start + chunk]
            if s.dtype == object:
                s = s[s.map(lambda v: isinstance(v, str))]
            s = s.astype("str")
            s = s[s.str.contains(r"[.,]", regex=True).fillna(False)].str.strip()
            vn, en = s.str.match(_VN_NUMBER), s.str.match(_EN_NUMBER)
            en_only += int((en & ~vn).sum())
            vn_only += int((vn & ~en).sum())
        if en_only + vn_only >= enough:
            break
    return "." if en_only and not vn_only else ","


def blank_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rows whose cells are all empty; later columns are only looked at where earlier ones were blank."""
    blank = np.ones(len(frame), dtype=bool)
    for name in columns:
        idx = np.flatnonzero(blank)
        if len(idx) == 0:
            break
        blank[idx] = blank_mask(frame[name].iloc[idx]).to_numpy()
    return blank


def finish(body: pd.DataFrame, first_row: int, mapping, dataset, meta: dict) -> RawTable:
    """Keep mapped columns in dataset order, drop blank rows, add the row number people see."""
    order = [c.name for c in ds.DATASETS[dataset].columns if c.name in mapping]
    frame = pd.DataFrame({name: body[mapping[name][0]] for name in order}) if len(body.columns) else \
        pd.DataFrame({name: pd.Series([], dtype=object) for name in order})
    frame["source_row"] = range(first_row, first_row + len(frame))
    frame = frame[~blank_rows(frame, order)].reset_index(drop=True)
    return RawTable(frame=frame, dataset=dataset, decimal=detect_decimal(frame, dataset),
                    header_map={n: mapping[n][1] for n in order},
                    unit_scale=unit_scale(mapping, dataset), **meta)
