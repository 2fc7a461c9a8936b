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
