"""Demo register rows laid out as the annex a provincial Department of Industry and Trade publishes.

One province and one year per workbook, in the shape of the year-end reports of
``tests/fixtures/annex_layouts`` (e.g. ``nghe_an_2019_bao_cao_ket_qua.xlsx``): title rows
("SỞ CÔNG THƯƠNG …", the heading with the year, "Đơn vị tính: triệu đồng"), a two-row header
with "Kinh phí" merged over KCQG / KCĐP / Đối ứng của cơ sở / Tổng, section rows "A KHUYẾN CÔNG
QUỐC GIA" and "B KHUYẾN CÔNG ĐỊA PHƯƠNG" each closed by "Cộng A"/"Cộng B", a "Tổng cộng (A+B)"
row and a note. Province, year, unit and funding programme appear only in the title and section
rows, as in the annexes provinces send; such a file goes through ``khuyencong map``.

What an annex does not carry — project and establishment IDs, industry and the output counts —
is what the demo's tabular files add: read back, the annex gives the register columns it holds
(see :mod:`khuyencong.ingest.annex_table`), the IDs derived.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import openpyxl
import pandas as pd
from openpyxl.styles import Font

from khuyencong.core import datasets as ds
from khuyencong.files import stable_xlsx
from khuyencong.synthetic.render import provinces_by_code
from khuyencong.synthetic.write import NOT_REAL, SYNTHETIC_TITLE

HEADER = ("STT", "Tên đề án", "Nội dung khuyến công", "Đơn vị thụ hưởng", "Huyện", "Kinh phí", "Kết quả thực hiện")
MONEY = ("KCQG", "KCĐP", "Đối ứng của cơ sở", "Tổng")
#: Funding programme → section letter and heading, in the order of the file.
SECTIONS = {"KCQG": ("A", "KHUYẾN CÔNG QUỐC GIA"), "KCDP": ("B", "KHUYẾN CÔNG ĐỊA PHƯƠNG")}
SHEET = "Phụ lục"


@dataclass
class AnnexSheet:
    """The annex as cells: ``rows`` with the kind of each (title, header, section, data, subtotal,
    total, note), the merged ranges (1-based, inclusive) and the source record of each data row."""

    rows: list[list] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    records: list[int] = field(default_factory=list)  # position in the input frame, per data row

    def add(self, kind: str, cells: list) -> None:
        self.rows.append(cells)
        self.kinds.append(kind)


def _money(rec: dict) -> list[float | None]:
    national = rec["funding_source"] == "KCQG"
    support = float(rec["state_support"])
    return [support if national else None, None if national else support,
            float(rec["beneficiary_contribution"]), float(rec["total_cost"])]


def _sums(rows: list[list]) -> list[float]:
    return [round(sum(r[5 + k] or 0.0 for r in rows), 1) for k in range(len(MONEY))]


def _header(sheet: AnnexSheet) -> None:
    top = len(sheet.rows) + 1
    width = len(HEADER) - 1 + len(MONEY)
    first = HEADER.index("Kinh phí")
    sheet.add("header", list(HEADER[:first + 1]) + [None] * (len(MONEY) - 1) + [HEADER[-1]])
    sheet.add("header", [None] * first + list(MONEY) + [None])
    sheet.merges.append((top, first + 1, top, first + len(MONEY)))
    sheet.merges += [(top, c, top + 1, c) for c in range(1, width + 1) if not first < c <= first + len(MONEY)]


def annex_sheet(df: pd.DataFrame) -> AnnexSheet:
    """``df`` (canonical register rows of one province and year) laid out as an annex."""
    provinces, years = df["province"].unique(), df["year"].unique()
    if len(provinces) != 1 or len(years) != 1:
        raise ValueError(f"an annex holds one province and one year, not {list(provinces)} × {list(years)}")
    place, year = provinces_by_code()[provinces[0]], int(years[0])
    sheet = AnnexSheet()
    for line in (f"SỞ CÔNG THƯƠNG {place.name.upper()}", "TRUNG TÂM KHUYẾN CÔNG",
                 f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN ĐỀ ÁN KHUYẾN CÔNG NĂM {year}", "Đơn vị tính: triệu đồng"):
        sheet.add("title", [line])
    _header(sheet)
    status = {code: vi for code, vi, _ in ds.REGISTER.column("status").choices}
    closed, letters = [], []
    for source, (letter, heading) in SECTIONS.items():
        part = df[df["funding_source"] == source]
        if part.empty:
            continue
        sheet.add("section", [letter, heading])
        rows = []
        for n, (pos, rec) in enumerate(zip(part.index, part.to_dict("records")), 1):
            rows.append([n, rec["title"], ds.category(rec["category"]).name_vi, rec["establishment_name"],
                         rec["district"], *_money(rec), status[rec["status"]]])
            sheet.add("data", rows[-1])
            sheet.records.append(df.index.get_loc(pos))
        sheet.add("subtotal", [None, f"Cộng {letter}", None, None, None, *_sums(rows), None])
        closed += rows
        letters.append(letter)
    sheet.add("total", [None, f"Tổng cộng ({'+'.join(letters)})", None, None, None, *_sums(closed), None])
    sheet.add("note", [f"Ghi chú: {SYNTHETIC_TITLE}; {NOT_REAL}"])
    return sheet


def annex_xlsx(df: pd.DataFrame) -> bytes:
    """The annex of ``df`` (one province and year) as workbook bytes; equal input, equal bytes."""
    sheet = annex_sheet(df)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    for kind, cells in zip(sheet.kinds, sheet.rows):
        ws.append(cells)
        if kind in ("title", "header", "section", "total"):
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    for r0, c0, r1, c1 in sheet.merges:
        ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    return stable_xlsx(wb)
