"""How the demo set's tables are written out: file layouts, headers, labels and cells.

Each :class:`FileSpec` is one realistic way a province sends a table (XLSX with title rows or a
merged money header, CSV in several encodings and separators, English or unaccented headers,
money in nghìn đồng). :func:`render` turns canonical rows into the cells such a file holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from khuyencong.core import datasets as ds
from khuyencong.core.provinces import Province, legacy_provinces, strip_diacritics
from khuyencong.core.vnnumber import format_vn


@dataclass(frozen=True)
class FileSpec:
    """How one raw file is laid out (the realistic ways provinces send their tables)."""

    name: str
    dataset: str
    regions: tuple[str, ...] = ()  # empty = all
    fmt: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | utf-16 | cp1258
    sep: str = ","
    headers: str = "vi"  # vi | en | ascii
    labels: str = "vi"  # how provinces/categories/choices are written: vi | en | ascii
    decimal: str = ","  # numbers written as text use Vietnamese format (the readers' contract)
    money_unit: str = "triệu"  # triệu | nghìn
    money_text: bool = False  # XLSX: money as Vietnamese-formatted text
    title_rows: int = 0
    merged_money: bool = False
    total_cost: bool = True
    line_end: str = "\n"


_R = "SYNTHETIC_register_"
FILE_SPECS: tuple[FileSpec, ...] = (
    FileSpec(_R + "dong_bang_song_hong.xlsx", "register", ("RRD",), "xlsx", title_rows=3, merged_money=True),
    FileSpec(_R + "trung_du_mien_nui_phia_bac.xlsx", "register", ("NMM",), "xlsx", title_rows=2,
             money_text=True, total_cost=False),
    FileSpec(_R + "bac_trung_bo_duyen_hai_mien_trung_utf8bom.csv", "register", ("NCC",),
             encoding="utf-8-sig", sep=";", line_end="\r\n"),
    FileSpec(_R + "tay_nguyen_cp1258_nghin_dong.csv", "register", ("CH",), encoding="cp1258",
             money_unit="nghìn", total_cost=False, line_end="\r\n"),
    FileSpec(_R + "dong_nam_bo_utf16_en.csv", "register", ("SE",), encoding="utf-16", sep="\t",
             headers="en", labels="en", line_end="\r\n"),
    FileSpec(_R + "dong_bang_song_cuu_long_khong_dau.csv", "register", ("MRD",), headers="ascii",
             labels="ascii", total_cost=False),
    FileSpec("SYNTHETIC_survey.csv", "survey", ("RRD", "NMM", "NCC", "CH", "SE")),
    FileSpec("SYNTHETIC_survey_dong_bang_song_cuu_long.xlsx", "survey", ("MRD",), "xlsx", title_rows=1),
    FileSpec("SYNTHETIC_province_stats.csv", "province_stats"),
    FileSpec("SYNTHETIC_plans.xlsx", "plans", (), "xlsx", title_rows=2),
)


@dataclass
class Table:
    columns: list[str]  # canonical column per position
    headers: list[str]  # header text per position
    rows: list[list]  # cell values as written (str, number or None)


def _columns_for(spec: FileSpec) -> list[ds.Column]:
    cols = ds.DATASETS[spec.dataset].columns
    return [c for c in cols if spec.total_cost or c.name != "total_cost"]


def _header_text(col: ds.Column, spec: FileSpec) -> str:
    text = {"vi": col.vi, "en": col.en, "ascii": strip_diacritics(col.vi)}[spec.headers]
    if col.kind == "money" and spec.money_unit == "nghìn":
        for old, new in (("(triệu đồng)", "(nghìn đồng)"), ("(million VND)", "(thousand VND)"),
                         ("(trieu dong)", "(nghin dong)")):
            text = text.replace(old, new)
    return text


@lru_cache(maxsize=None)
def _label(col: ds.Column, code: str, spec: FileSpec) -> str:
    if col.name == "funding_source" and spec.labels != "en":
        return {"KCDP": "KCĐP" if spec.labels == "vi" else "KCDP"}.get(code, code)
    if col.kind == "category":
        vi, en = ds.category(code).name_vi, ds.category(code).name_en
    else:
        _, vi, en = next(ch for ch in col.choices if ch[0] == code)
    return {"vi": vi, "en": en, "ascii": strip_diacritics(vi)}[spec.labels]


@lru_cache(maxsize=None)
def province_label(code: str, spec: FileSpec) -> str:
    p = provinces_by_code()[code]
    return {"vi": p.name, "en": p.name_en, "ascii": p.name_ascii}[spec.labels]


@lru_cache(maxsize=1)
def provinces_by_code() -> dict[str, Province]:
    return {p.code: p for p in legacy_provinces()}


def number(value: float, spec: FileSpec, decimals: int) -> object:
    """A number as the file writes it: native in XLSX, text in CSV (file's decimal mark)."""
    if spec.fmt == "xlsx" and not spec.money_text:
        return value
    if spec.decimal == "," or spec.money_text:
        return format_vn(value, decimals)
    return f"{value:.{decimals}f}"


def _cell(col: ds.Column, value, spec: FileSpec):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if col.kind == "province":
        return province_label(value, spec)
    if col.kind in ("category", "choice"):
        return _label(col, value, spec)
    if col.kind == "money":
        if spec.money_unit == "nghìn":
            return number(int(round(value * 1000)), spec, 0)
        return number(float(value), spec, 1)
    if col.kind == "int":
        return int(value) if spec.fmt == "xlsx" else str(int(value))
    if col.kind == "float":
        v = float(value)
        if spec.fmt == "xlsx":
            return v
        return str(int(v)) if v.is_integer() else number(v, spec, 1)
    return strip_diacritics(str(value)) if spec.labels == "ascii" else str(value)


def render(df: pd.DataFrame, spec: FileSpec) -> Table:
    cols = _columns_for(spec)
    records = df[[c.name for c in cols]].to_dict("list")
    rows = [list(r) for r in zip(*(
        [_cell(c, v, spec) for v in records[c.name]] for c in cols))]
    return Table([c.name for c in cols], [_header_text(c, spec) for c in cols], rows)


def select_rows(df: pd.DataFrame, spec: FileSpec) -> pd.DataFrame:
    """The rows of ``df`` that belong in the file (its regions; all rows when it has none)."""
    if not spec.regions:
        return df
    region = {p.code: p.region_code for p in legacy_provinces()}
    return df[df.province.map(region).isin(spec.regions)]
