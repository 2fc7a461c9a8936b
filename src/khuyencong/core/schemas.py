"""The processed tables: pandera models and the data dictionary (generated from datasets.py).

Units are in the field metadata (``metadata={"unit": ...}``) and in the data dictionary;
money is always million VND.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from khuyencong.core import datasets as ds

MILLION_VND = {"unit": "million VND"}
DATA_STATUSES = ("REAL", "SYNTHETIC")
_CODE = r"^\d{2}$"
_CATEGORY_CODES = tuple(c.code for c in ds.categories())


def _codes(choices) -> list[str]:
    return [code for code, _, _ in choices]


class RegisterTable(pa.DataFrameModel):
    year: Series[int] = pa.Field(ge=ds.YEAR_MIN, le=ds.YEAR_MAX)
    province_code: Series[str] = pa.Field(str_matches=_CODE)
    province_name: Series[str]
    region_code: Series[str]
    province_code_2025: Series[str] = pa.Field(str_matches=_CODE)
    project_id: Series[str] = pa.Field(unique=True)
    title: Series[str] = pa.Field(nullable=True)
    category: Series[str] = pa.Field(isin=list(_CATEGORY_CODES))
    funding_source: Series[str] = pa.Field(isin=_codes(ds.FUNDING_SOURCES))
    establishment_id: Series[str]
    establishment_name: Series[str] = pa.Field(nullable=True)
    district: Series[str] = pa.Field(nullable=True)
    industry: Series[str] = pa.Field(nullable=True)
    state_support: Series[float] = pa.Field(gt=0, metadata=MILLION_VND)
    beneficiary_contribution: Series[float] = pa.Field(ge=0, metadata=MILLION_VND)
    total_cost: Series[float] = pa.Field(nullable=True, ge=0, metadata=MILLION_VND)
    status: Series[str] = pa.Field(isin=_codes(ds.PROJECT_STATUSES))
    trainees: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    establishments_supported: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    machines: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    demonstration_models: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    typical_products: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    source_file: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    boundaries: Series[str] = pa.Field(isin=["legacy"])
    data_status: Series[str] = pa.Field(isin=list(DATA_STATUSES))

    class Config:
        strict = True
        ordered = True


class SurveyTable(pa.DataFrameModel):
    establishment_id: Series[str]
    project_id: Series[str] = pa.Field(nullable=True)
    province_code: Series[str] = pa.Field(str_matches=_CODE)
    province_name: Series[str]
    region_code: Series[str]
    province_code_2025: Series[str] = pa.Field(str_matches=_CODE)
    year: Series[int] = pa.Field(ge=ds.YEAR_MIN, le=ds.YEAR_MAX)
    output_value: Series[float] = pa.Field(ge=0, metadata=MILLION_VND)
    workers: Series[pd.Int64Dtype] = pa.Field(ge=0)
    revenue: Series[float] = pa.Field(nullable=True, ge=0, metadata=MILLION_VND)
    wages: Series[float] = pa.Field(nullable=True, ge=0, metadata=MILLION_VND)
    source_file: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    boundaries: Series[str] = pa.Field(isin=["legacy"])
    data_status: Series[str] = pa.Field(isin=list(DATA_STATUSES))

    class Config:
        strict = True
        ordered = True
        unique = ["establishment_id", "year"]


class ProvinceStatsTable(pa.DataFrameModel):
    province_code: Series[str] = pa.Field(str_matches=_CODE)
    province_name: Series[str]
    region_code: Series[str]
    province_code_2025: Series[str] = pa.Field(str_matches=_CODE)
    year: Series[int] = pa.Field(ge=ds.YEAR_MIN, le=ds.YEAR_MAX)
    industrial_grdp: Series[float] = pa.Field(nullable=True, ge=0, metadata=MILLION_VND)
    grdp: Series[float] = pa.Field(nullable=True, ge=0, metadata=MILLION_VND)
    iip: Series[float] = pa.Field(nullable=True, metadata={"unit": "previous year = 100"})
    population: Series[float] = pa.Field(nullable=True, metadata={"unit": "thousand persons"})
    industrial_enterprises: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    source_file: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    boundaries: Series[str] = pa.Field(isin=["legacy"])
    data_status: Series[str] = pa.Field(isin=list(DATA_STATUSES))

    class Config:
        strict = True
        ordered = True
        unique = ["province_code", "year"]


class PlansTable(pa.DataFrameModel):
    province_code: Series[str] = pa.Field(str_matches=_CODE)
    province_name: Series[str]
    region_code: Series[str]
    province_code_2025: Series[str] = pa.Field(str_matches=_CODE)
    year: Series[int] = pa.Field(ge=ds.YEAR_MIN, le=ds.YEAR_MAX)
    indicator: Series[str] = pa.Field(isin=_codes(ds.PLAN_INDICATORS))
    planned: Series[float] = pa.Field(gt=0)
    achieved: Series[float] = pa.Field(ge=0)
    source_file: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    boundaries: Series[str] = pa.Field(isin=["legacy"])
    data_status: Series[str] = pa.Field(isin=list(DATA_STATUSES))

    class Config:
        strict = True
        ordered = True
        unique = ["province_code", "year", "indicator"]


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "register": RegisterTable, "survey": SurveyTable, "province_stats": ProvinceStatsTable, "plans": PlansTable,
}


# ---------------------------------------------------------------- data dictionary

@dataclass(frozen=True)
class ProcessedColumn:
    table: str
    column: str
    type: str
    unit: str
    description_vi: str
    description_en: str


_PROVINCE_COLUMNS = (
    ("province_code", "str", "Mã tỉnh GSO (63 tỉnh, ranh giới trước 1/7/2025)",
     "GSO province code (63 provinces, boundaries before 1 July 2025)"),
    ("province_name", "str", "Tên tỉnh chuẩn", "Standard province name"),
    ("region_code", "str", "Mã vùng kinh tế - xã hội (GSO)", "GSO socio-economic region code"),
    ("province_code_2025", "str", "Mã tỉnh mới (34 tỉnh từ 1/7/2025, NQ 202/2025/QH15)",
     "New province code (34 provinces from 1 July 2025, Resolution 202/2025/QH15)"),
)
_META_COLUMNS = (
    ("source_file", "str", "Tệp nguồn (đường dẫn từ thư mục dự án)",
     "Source file (path from the project root)"),
    ("source_row", "int", "Số dòng trong tệp nguồn (như Excel hiển thị)",
     "Row number in the source file (as Excel shows it)"),
    ("boundaries", "str", "Ranh giới tỉnh của mã tỉnh: legacy = 63 tỉnh",
     "Province boundaries of province_code: legacy = 63"),
    ("data_status", "str", "REAL: dữ liệu thật; SYNTHETIC: dữ liệu mô phỏng (demo)",
     "REAL: real data; SYNTHETIC: simulated demo data"),
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
            out.extend(ProcessedColumn(dataset, n, t, "", vi, en) for n, t, vi, en in _PROVINCE_COLUMNS)
            continue
        kind = "int" if col.name == "year" else _TYPES[col.kind]
        vi, en = col.description_vi or col.vi, col.description_en or col.en
        if col.kind in ("category", "choice"):
            en += " (code)"
            vi += " (mã)"
        out.append(ProcessedColumn(dataset, col.name, kind, _unit(col), vi, en))
    out.extend(ProcessedColumn(dataset, n, t, "", vi, en) for n, t, vi, en in _META_COLUMNS)
    return out


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
