"""Excel templates for provinces: one workbook per dataset, built from :mod:`khuyencong.core.datasets`.

Each workbook has a data sheet ("Dữ liệu") whose first row holds the Vietnamese headers the
readers match (English name and description in each header's cell comment), drop-down lists
for category and choice columns, a bilingual guide sheet ("Hướng dẫn - Guide") describing every
column, and a hidden sheet with the allowed values. No example row, so nothing invented is
ever submitted by mistake. The CLI: ``khuyencong templates``; ``khuyencong templates survey
--from-register FILE`` pre-fills the survey sheet with the register's establishments (derived IDs
included), so the follow-up survey links back to the projects.
"""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from khuyencong import paths
from khuyencong.core import datasets as ds
from khuyencong.core.provinces import legacy_provinces
from khuyencong.files import atomic_write_bytes, stable_xlsx
from khuyencong.ingest.provenance import is_under_raw, record_generated

DATA_SHEET = "Dữ liệu"
GUIDE_SHEET = "Hướng dẫn - Guide"
LISTS_SHEET = "Danh mục"
VALIDATION_ROWS = 2000  # drop-downs and checks apply to rows 2..VALIDATION_ROWS+1
TEMPLATE_NAMES = {
    "register": "mau_danh_muc_de_an_register_template.xlsx",
    "survey": "mau_khao_sat_co_so_survey_template.xlsx",
    "province_stats": "mau_thong_ke_tinh_province_stats_template.xlsx",
    "plans": "mau_ke_hoach_thuc_hien_plans_template.xlsx",
}
# Vietnamese and English names share one cell ("Năm / Year") and no cell is left empty, so no
# guide row looks like a header row to the readers (they pick the data sheet by its header).
GUIDE_HEADERS = ("Cột / Column", "Tên trường / field", "Kiểu / type", "Đơn vị / unit",
                 "Bắt buộc / required", "Giá trị cho phép / allowed values", "Mô tả", "Description")
NAME_SEPARATOR = " / "
_KIND_TEXT = {
    "int": "số nguyên / whole number", "float": "số / number", "money": "số tiền / amount",
    "str": "văn bản / text", "province": "tỉnh/thành phố / province",
    "category": "nội dung khuyến công / category", "choice": "chọn trong danh sách / one of a list",
}
_NOTES = (
    "Số viết theo kiểu Việt Nam: dấu chấm phân cách hàng nghìn, dấu phẩy thập phân (1.234,5). "
    "/ Numbers in Vietnamese format: dot for thousands, comma for decimals (1.234,5).",
    "Tiền tính bằng triệu đồng; nếu dùng đơn vị khác, ghi rõ trong tiêu đề cột, ví dụ (nghìn đồng). "
    "/ Money in million VND; another unit must be written in the header, e.g. (nghìn đồng).",
    "Tỉnh/thành phố theo ranh giới trước 1/7/2025 (63 tỉnh). / Provinces on boundaries before "
    "1 July 2025 (63 provinces).",
    "Không đổi tên, thứ tự dòng tiêu đề ở sheet Dữ liệu. / Keep the header row of the data sheet as it is.",
)


def allowed_values(col: ds.Column) -> list[str]:
    """Values offered in the drop-down (Vietnamese labels; the readers accept codes and English too)."""
    if col.kind == "category":
        return [c.name_vi for c in ds.categories()]
    if col.name == "funding_source":
        return ["KCQG", "KCĐP"]
    if col.kind == "choice":
        return [vi for _, vi, _ in col.choices]
    if col.kind == "province":
        return [p.name for p in legacy_provinces()]
    return []


def _allowed_text(col: ds.Column) -> str:
    if col.kind == "category":
        return "; ".join(f"{c.code} = {c.name_vi} / {c.name_en}"
                         + (f" (từ/from {c.since})" if c.since > 2012 else "") for c in ds.categories())
    if col.kind == "choice":
        return "; ".join(f"{code} = {vi} / {en}" for code, vi, en in col.choices)
    if col.kind == "province":
        return "63 tỉnh/thành phố (xem sheet Danh mục) / 63 provinces (see the Danh mục sheet)"
    if col.name == "year":
        return f"{ds.YEAR_MIN}–{ds.YEAR_MAX}"
    if col.kind in ("money", "int"):
        return "≥ 0"
    return ""


def _unit(col: ds.Column) -> str:
    if col.kind == "money":
        return "triệu đồng / million VND"
    for marker in ("nghìn người", "năm trước = 100"):
        if marker in col.vi:
            return marker
    return ""


def _data_sheet(ws, dataset: ds.Dataset, lists: dict[str, str]) -> None:
    ws.title = DATA_SHEET
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(dataset.columns, start=1):
        cell = ws.cell(1, i, col.vi)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        req = "bắt buộc / required" if col.required_in(False) else "không bắt buộc / optional"
        cell.comment = Comment(f"{col.en} ({req})\n{col.description_vi}\n{col.description_en}", "khuyencong",
                               width=320, height=120)
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(col.vi) + 4))
        _validation(ws, i, col, lists.get(col.name))
    ws.freeze_panes = "A2"


def _validation(ws, index: int, col: ds.Column, list_ref: str | None) -> None:
    letter = get_column_letter(index)
    rng = f"{letter}2:{letter}{VALIDATION_ROWS + 1}"
    if list_ref:
        strict = col.kind != "province"  # other spellings of a province are accepted by the readers
        dv = DataValidation(type="list", formula1=list_ref, allow_blank=True,
                            errorStyle="stop" if strict else "warning",
                            error="Chọn giá trị trong danh sách / pick a value from the list",
                            errorTitle=col.vi)
    elif col.name == "year":
        dv = DataValidation(type="whole", operator="between", formula1=str(ds.YEAR_MIN),
                            formula2=str(ds.YEAR_MAX), allow_blank=True,
                            error=f"Năm từ {ds.YEAR_MIN} đến {ds.YEAR_MAX} / year {ds.YEAR_MIN}–{ds.YEAR_MAX}")
    elif col.kind in ("money", "int"):
        dv = DataValidation(type="decimal" if col.kind == "money" else "whole", operator="greaterThanOrEqual",
                            formula1="0", allow_blank=True, errorStyle="warning",
                            error="Số không âm / a number ≥ 0")
    else:
        return
    dv.add(rng)
    ws.add_data_validation(dv)


def _lists_sheet(wb, dataset: ds.Dataset) -> dict[str, str]:
    """Hidden sheet with one allowed-values list per column; returns column → range formula."""
    ws = wb.create_sheet(LISTS_SHEET)
    refs = {}
    k = 0
    for col in dataset.columns:
        values = allowed_values(col)
        if not values:
            continue
        k += 1
        letter = get_column_letter(k)
        ws.cell(1, k, col.vi)
        for r, value in enumerate(values, start=2):
            ws.cell(r, k, value)
        refs[col.name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return refs


def _guide_sheet(wb, dataset: ds.Dataset) -> None:
    ws = wb.create_sheet(GUIDE_SHEET)
    ws.append([f"{dataset.title_vi} / {dataset.title_en}"])
    ws.cell(1, 1).font = Font(bold=True, size=13)
    key = ", ".join(dataset.column(k).vi for k in dataset.key)
    ws.append([f"Mỗi dòng duy nhất theo / one row per: {key}"])
    for note in (*_NOTES, *dataset.notes):
        ws.append([note])
    ws.append([])
    ws.append(list(GUIDE_HEADERS))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for col in dataset.columns:
        row = [f"{col.vi}{NAME_SEPARATOR}{col.en}", col.name, _KIND_TEXT[col.kind], _unit(col),
               "có / yes" if col.required_in(False) else "không / no", _allowed_text(col),
               col.description_vi, col.description_en]
        ws.append([v or "—" for v in row])
    for i, width in enumerate((50, 24, 26, 22, 14, 60, 50, 50), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def template_bytes(dataset_name: str) -> bytes:
    """The template workbook of one dataset, with stable bytes."""
    dataset = ds.DATASETS[dataset_name]
    wb = openpyxl.Workbook()
    lists = _lists_sheet(wb, dataset)
    _data_sheet(wb.active, dataset, lists)
    _guide_sheet(wb, dataset)
    wb.move_sheet(LISTS_SHEET, offset=2)  # order: data, guide, lists
    return stable_xlsx(wb)


def write_templates(out_dir: Path | str | None = None, record_provenance: bool | None = None) -> list[Path]:
    """Write one template per dataset into ``out_dir`` (default ``data/raw/templates``)."""
    out = Path(out_dir) if out_dir is not None else paths.raw_dir() / "templates"
    written = []
    for name, filename in TEMPLATE_NAMES.items():
        written.append(atomic_write_bytes(out / filename, template_bytes(name)))
    if record_provenance is None:
        record_provenance = is_under_raw(out)
    if record_provenance:
        for path in written:
            record_generated(path, source="khuyencong.ingest.templates (built from khuyencong.core.datasets)",
                             generator="khuyencong templates",
                             description=f"Empty Excel template for provinces: {path.stem}")
    return written


#: Survey years written for each supported establishment, around its support year: the event study
#: needs a year before support and years after it.
SURVEY_YEARS_AROUND_SUPPORT = (-1, 0, 1, 2)
#: Columns after the survey's own, for the interviewer: who the establishment is (read, not validated).
_FROM_REGISTER = (("establishment_name", "Tên cơ sở (từ sổ đề án)"), ("district", "Huyện (từ sổ đề án)"),
                  ("support_year", "Năm được hỗ trợ (từ sổ đề án)"), ("title", "Đề án (từ sổ đề án)"))


def survey_rows_from_register(register: pd.DataFrame) -> pd.DataFrame:
    """One survey row per supported establishment and year around its first support year.

    ``register`` holds register columns (as ``validate`` reads them): rows without an establishment
    ID (a plan item with no beneficiary) have nobody to survey and are left out.
    """
    have = register.dropna(subset=["establishment_id"])
    have = have.assign(year=pd.to_numeric(have["year"], errors="coerce")).dropna(subset=["year"])
    first = (have.sort_values(["year", "project_id"]).groupby("establishment_id", sort=True, as_index=False)
             .first())
    rows = [{"establishment_id": r.establishment_id, "project_id": r.project_id, "province": r.province,
             "year": int(r.year) + offset, "establishment_name": r.establishment_name, "district": r.district,
             "support_year": int(r.year), "title": r.title}
            for r in first.itertuples() for offset in SURVEY_YEARS_AROUND_SUPPORT]
    return pd.DataFrame(rows, columns=["establishment_id", "project_id", "province", "year",
                                       *(name for name, _ in _FROM_REGISTER if name != "support_year"),
                                       "support_year"])


def prefilled_survey(rows: pd.DataFrame) -> bytes:
    """The survey template with its data sheet pre-filled with ``rows`` (:func:`survey_rows_from_register`)."""
    dataset = ds.DATASETS["survey"]
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes("survey")))
    ws = wb[DATA_SHEET]
    columns = [c.name for c in dataset.columns]
    extra = len(columns)
    for j, (_, header) in enumerate(_FROM_REGISTER, start=extra + 1):
        ws.cell(1, j, header).font = Font(italic=True)
        ws.column_dimensions[get_column_letter(j)].width = 30
    for i, row in enumerate(rows.to_dict("records"), start=2):
        for j, name in enumerate(columns, start=1):
            if name in row and row[name] is not None:
                ws.cell(i, j, row[name])
        for j, (name, _) in enumerate(_FROM_REGISTER, start=extra + 1):
            ws.cell(i, j, row[name])
    return stable_xlsx(wb)
