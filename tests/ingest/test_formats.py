"""Sniffing the real content type and reading grids (merged cells, hidden sheets, no text layer)."""
from pathlib import Path

import pytest

from khuyencong.ingest import formats

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "annex_layouts"


def test_csv_named_xlsx_is_read_as_csv_with_a_notice():
    doc = formats.read_document(CORPUS / "lang_son_2021_csv_ten_xlsx.xlsx")
    assert doc.kind == "csv" and doc.notices


def test_html_saved_as_xls_keeps_rowspan_and_colspan():
    doc = formats.read_document(CORPUS / "thanh_hoa_2021_portal_export.xls")
    grid = doc.grids[0]
    assert doc.kind == "html" and (3, 0, 4, 0) in grid.merged and grid.rows[4][4] == "KCĐP"


def test_hidden_sheet_is_skipped_and_reported():
    doc = formats.read_document(CORPUS / "quang_nam_2018_sheet_an.xlsx")
    assert [g.name for g in doc.grids] == ["Phụ lục"] and doc.skipped == [("Dự thảo (cũ)", "hidden sheet")]


@pytest.mark.parametrize("name", ["binh_dinh_2017_kcdp_phu_luc.xlsx", "phu_tho_2014_kcdp.xls"])
def test_merged_header_cells_keep_their_value_top_left(name):
    grid = formats.read_document(CORPUS / name).grids[0]
    assert any(r1 > r0 for r0, _, r1, _ in grid.merged)
    assert any(c1 > c0 for _, c0, _, c1 in grid.merged)


def test_word_tables_come_with_the_paragraphs_above():
    doc = formats.read_document(CORPUS / "cao_bang_2022_hai_bang.docx")
    assert [g.table for g in doc.grids] == [1, 2] and "Biểu 02" in doc.grids[1].above[0]


def test_scanned_pdf_needs_ocr():
    with pytest.raises(formats.NeedsOcrError, match="OCR"):
        formats.read_document(CORPUS / "yen_bai_2016_ban_scan.pdf")


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary", b"PK\x03\x04not a zip"])
def test_unknown_content_is_a_clear_error(tmp_path, data):
    path = tmp_path / "file.xlsx"
    path.write_bytes(data)
    with pytest.raises(formats.UnreadableFileError):
        formats.read_document(path)


@pytest.mark.parametrize("name,encoding,sep", [("son_la_2015_unicode_text.csv", "utf-16", "\t"),
                                               ("quang_ngai_2016_cp1258.csv", "cp1258", ","),
                                               ("kien_giang_2019_bom_semicolon.csv", "utf-8-sig", ";")])
def test_csv_encodings_and_separators(name, encoding, sep):
    doc = formats.read_document(CORPUS / name)
    assert (doc.encoding, doc.delimiter) == (encoding, sep)
    assert doc.grids[0].rows[0][0].startswith(("UBND", "SỞ", "Sở"))


@pytest.mark.parametrize("name", ["quang_nam_2018_sheet_an.xlsx", "binh_dinh_2017_kcdp_phu_luc.xlsx"])
def test_read_workbook_is_read_document_with_cells_as_stored(name):
    """Same sheets, hidden ones skipped, same merged ranges; only the cells differ, and only as documented."""
    grid_doc, stored_doc = formats.read_document(CORPUS / name), formats.read_workbook(CORPUS / name)
    assert stored_doc.stored and not grid_doc.stored and stored_doc.skipped == grid_doc.skipped
    for grid, stored in zip(grid_doc.grids, stored_doc.grids, strict=True):
        assert (stored.name, stored.merged) == (grid.name, grid.merged)
        for row, stored_row in zip(grid.rows, stored.rows, strict=True):
            assert [formats.cell_text(v) if isinstance(v, str) else v for v in stored_row] == \
                   [None if v == "" else v for v in row]
            assert not any(isinstance(v, float) and v.is_integer() for v in stored_row)


def test_stored_value_makes_integral_floats_ints_and_keeps_decimals():
    import datetime as dt

    values = [4.0, -3.0, 4.5, 1e20, 0.1 + 0.2, "", "a ", dt.date(2020, 1, 2), True, None]
    assert [formats.stored_value(v) for v in values] == [4, -3, 4.5, 1e20, 0.1 + 0.2, None, "a ",
                                                         dt.datetime(2020, 1, 2), True, None]
    assert [type(formats.stored_value(v)) for v in (4.0, 4.5, 1e20)] == [int, float, float]


def test_the_cell_limit_counts_every_visible_sheet_a_workbook_expands(tmp_path, monkeypatch):
    """Each sheet alone is under the limit; together they are what the reader holds in memory."""
    from openpyxl import Workbook

    from khuyencong.limits import LimitExceeded

    wb = Workbook()
    for k, ws in enumerate([wb.active, wb.create_sheet("Hai"), wb.create_sheet("Ẩn")]):
        for r in range(10):
            ws.append([f"{k}-{r}-{c}" for c in range(3)])
    wb["Ẩn"].sheet_state = "hidden"  # not read, so not counted
    wb.save(tmp_path / "two.xlsx")
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "60")
    assert [g.name for g in formats.read_workbook(tmp_path / "two.xlsx").grids] == ["Sheet", "Hai"]
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "59")
    with pytest.raises(LimitExceeded, match="visible sheets up to 'Hai'"):
        formats.read_document(tmp_path / "two.xlsx")
