"""The processed tables: pandera schemas and the data dictionary, both generated from datasets.py.

Every processed table is its dataset's columns (the province column expanded into the province
block) followed by the provenance block; each block is written once, below. Units are in each
column's metadata (``{"unit": ...}``) and in the data dictionary; money is always million VND.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from khuyencong.core import datasets as ds
from khuyencong.core.provinces import LEGACY

DATA_STATUSES = ("REAL", "SYNTHETIC")
_CODE = r"^\d{2}$"

# ---------------------------------------------------------------- data dictionary

@dataclass(frozen=True)
class ProcessedColumn:
    table: str
    column: str
    type: str
    unit: str
    description_vi: str
    description_en: str


# (name, type, description_vi, description_en, checks)
_PROVINCE_COLUMNS = (
    ("province_code", "str", "Mã tỉnh GSO (63 tỉnh, ranh giới trước 1/7/2025)",
     "GSO province code (63 provinces, boundaries before 1 July 2025)", (pa.Check.str_matches(_CODE),)),
    ("province_name", "str", "Tên tỉnh chuẩn", "Standard province name", ()),
    ("region_code", "str", "Mã vùng kinh tế - xã hội (GSO)", "GSO socio-economic region code", ()),
    ("province_code_2025", "str", "Mã tỉnh mới (34 tỉnh từ 1/7/2025, NQ 202/2025/QH15)",
     "New province code (34 provinces from 1 July 2025, Resolution 202/2025/QH15)", (pa.Check.str_matches(_CODE),)),
)
_META_COLUMNS = (
    ("source_file", "str", "Tệp nguồn (đường dẫn từ thư mục dự án)",
     "Source file (path from the project root)", ()),
    ("source_row", "int", "Số dòng trong tệp nguồn (như Excel hiển thị)",
     "Row number in the source file (as Excel shows it)", (pa.Check.ge(1),)),
    ("boundaries", "str", "Ranh giới tỉnh của mã tỉnh: legacy = 63 tỉnh",
     "Province boundaries of province_code: legacy = 63", (pa.Check.isin([LEGACY]),)),
    ("data_status", "str", "REAL: dữ liệu thật; SYNTHETIC: dữ liệu mô phỏng (demo)",
     "REAL: real data; SYNTHETIC: simulated demo data", (pa.Check.isin(list(DATA_STATUSES)),)),
)
_TYPES = {"int": "Int64", "float": "float", "money": "float", "str": "str", "category": "str", "choice": "str"}


def _unit(col: ds.Column) -> str:
    if col.unit:
        return col.unit
    match = re.search(r"\(([^()]*)\)\s*$", col.en)
    return match.group(1) if match else ""


def processed_columns(dataset: str) -> list[ProcessedColumn]:
    """The columns of a processed table, in order, with type, unit and descriptions."""
    out = []
    for col in ds.DATASETS[dataset].columns:
        if col.kind == "province":
            out.extend(ProcessedColumn(dataset, n, t, "", vi, en) for n, t, vi, en, _ in _PROVINCE_COLUMNS)
            continue
        kind = "int" if col.name == "year" else _TYPES[col.kind]
        vi, en = col.description_vi or col.vi, col.description_en or col.en
        if col.kind in ("category", "choice"):
            en += " (code)"
            vi += " (mã)"
        out.append(ProcessedColumn(dataset, col.name, kind, _unit(col), vi, en))
    out.extend(ProcessedColumn(dataset, n, t, "", vi, en) for n, t, vi, en, _ in _META_COLUMNS)
    return out


_DTYPES = {"int": "int64", "Int64": "Int64", "float": "float64", "str": "str"}
_BOUNDS = {">= 0": pa.Check.ge(0), "> 0": pa.Check.gt(0)}


def _column_checks(col: ds.Column) -> list[pa.Check]:
    if col.name == "year":
        return [pa.Check.ge(ds.YEAR_MIN), pa.Check.le(ds.YEAR_MAX)]
    if col.kind == "category":
        return [pa.Check.isin([c.code for c in ds.categories()])]
    if col.kind == "choice":
        return [pa.Check.isin([code for code, _, _ in col.choices])]
    return [_BOUNDS[col.lower_bound]] if col.lower_bound else []


def _schema(dataset: ds.Dataset) -> pa.DataFrameSchema:
    blocks = {n: checks for n, _, _, _, checks in _PROVINCE_COLUMNS + _META_COLUMNS}
    single_key = dataset.key[0] if len(dataset.key) == 1 else None
    columns = {}
    for pc in processed_columns(dataset.name):
        col = None if pc.column in blocks else dataset.column(pc.column)
        columns[pc.column] = pa.Column(
            _DTYPES[pc.type], checks=list(blocks[pc.column]) if col is None else _column_checks(col),
            nullable=col is not None and not col.required, unique=pc.column == single_key,
            metadata={"unit": pc.unit} if pc.unit else None)
    unique = ["province_code" if k == "province" else k for k in dataset.key]
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=dataset.name,
                              unique=unique if len(unique) > 1 else None)


SCHEMAS: dict[str, pa.DataFrameSchema] = {name: _schema(d) for name, d in ds.DATASETS.items()}


def data_dictionary() -> pd.DataFrame:
    """table, column, type, unit, description_vi, description_en for every processed table."""
    rows = [c.__dict__ for name in ds.DATASETS for c in processed_columns(name)]
    return pd.DataFrame(rows, columns=["table", "column", "type", "unit", "description_vi", "description_en"])


def data_dictionary_markdown() -> str:
    lines = ["# Từ điển dữ liệu / Data dictionary", "",
             "Sinh tự động từ `src/khuyencong/datasets.py` / generated from `src/khuyencong/datasets.py`.",
             "Tiền: triệu đồng / money: million VND.", ""]
    for name, d in ds.DATASETS.items():
        lines += [f"## `{name}` — {d.title_vi} / {d.title_en}", "",
                  "| column | type | unit | mô tả | description |", "|---|---|---|---|---|"]
        lines += [f"| `{c.column}` | {c.type} | {c.unit} | {c.description_vi} | {c.description_en} |"
                  for c in processed_columns(name)]
        lines.append("")
    return "\n".join(lines)
