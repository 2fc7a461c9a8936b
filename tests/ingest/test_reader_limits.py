"""Issue 20: the limits apply to every reader (Word, ODS, XLS, PDF, HTML, GSO PX-Web), before the data is expanded.

Every hostile input is built small in ``tmp_path``. Where the unfixed reader expanded gigabytes, a
test first proves the order on a scaled-down input with a lowered limit: the library that would
expand the data is replaced by one that fails the test when reached. The real-size input is read
only after that, in-process when the refusal costs nothing, else in a subprocess capped at 1 GB
(:func:`test_resource_limits.read_capped`). Budget: about 15 s on a shared 2-core machine.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
import python_calamine

from khuyencong.cli import main
from khuyencong.core import provinces
from khuyencong.ingest import formats, gso
from khuyencong.limits import LimitExceeded
from test_resource_limits import read_capped

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
XLS = [p for p in sorted(FIXTURES.glob("*/*.xls")) if p.read_bytes().startswith(formats.OLE2_MAGIC)]  # not HTML


def _never(what: str):
    def reached(*args, **kwargs):
        raise AssertionError(f"{what} was reached before the size was checked")
    return reached


class _NoCalamine:
    """python_calamine.CalamineWorkbook for a test where calamine must not open the file."""

    from_filelike = from_path = staticmethod(_never("calamine"))


# ---------------------------------------------------------------- Word

def _rewrite(data: bytes, path: Path, member: str, change) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as a, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            content = a.read(info.filename)
            b.writestr(info.filename, change(content) if info.filename == member else content)
    return path


def docx_table(path: Path, rows: int, cols: int = 10, cell: bytes | None = None) -> Path:
    """A Word file: a paragraph, then one table whose one row python-docx wrote is repeated ``rows`` times
    (``cell``: the XML of every cell instead)."""
    import docx

    document = docx.Document()
    document.add_paragraph("Biểu 01")
    for c, each in enumerate(document.add_table(rows=1, cols=cols).rows[0].cells):
        each.text = f"c{c}"
    buffer = io.BytesIO()
    document.save(buffer)

    def repeat(xml: bytes) -> bytes:
        start, end = re.search(rb"<w:tr[ >]", xml).start(), xml.index(b"</w:tr>") + len(b"</w:tr>")
        row = xml[start:end] if cell is None else b"<w:tr>" + cell * cols + b"</w:tr>"
        return xml[:start] + row * rows + xml[end:]

    return _rewrite(buffer.getvalue(), path, "word/document.xml", repeat)


def test_a_word_table_is_counted_before_it_is_read(tmp_path, monkeypatch):
    """A Word table of 520,001 rows × 10 was read with no limit (2.9 GB): its rows and cells are now
    counted in the XML stream and the file refused before any of it is read (python-docx, which built a
    tree of about 12 times the XML, no longer reads it: the tables are streamed, each row let go)."""
    import docx
    from lxml import etree

    path = docx_table(tmp_path / "big.docx", rows=1_200)
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "12000")
    grid = formats.read_document(path).grids[0]
    assert (len(grid.rows), len(grid.rows[0]), grid.above) == (1_200, 10, ["Biểu 01"])
    monkeypatch.setattr(docx, "Document", _never("python-docx"))
    monkeypatch.setattr(etree, "iterparse", _never("the XML parser"))
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "10000")
    with pytest.raises(LimitExceeded, match=r"^big\.docx \(table 1\): [\d,]+ cells is over the limit of 10,000 "
                                            r".*KHUYENCONG_MAX_CELLS="):
        formats.read_document(path)
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "100000")
    monkeypatch.setenv("KHUYENCONG_MAX_ROWS", "1000")
    with pytest.raises(LimitExceeded, match=r"1,001 rows is over the limit of 1,000 .*KHUYENCONG_MAX_ROWS="):
        formats.read_document(path)


def test_a_word_cell_spanning_columns_counts_as_the_columns_it_spans(tmp_path, monkeypatch):
    span = b'<w:tc><w:tcPr><w:gridSpan w:val="40000"/></w:tcPr><w:p/></w:tc>'
    path = docx_table(tmp_path / "span.docx", rows=1, cols=1, cell=span)
    with pytest.raises(LimitExceeded, match=r"span\.docx \(table 1\): 40,000 columns is over the limit of 16,384"):
        formats.read_document(path)


def test_a_long_vertical_merge_is_read_in_one_pass(tmp_path):
    """python-docx looked each continued cell up through every row above it (recursively: past about
    1,000 rows, a RecursionError and a traceback)."""
    first = b'<w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc>'
    rest = b"<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr>"

    def column(xml: bytes) -> bytes:
        start, end = re.search(rb"<w:tr[ >]", xml).start(), xml.rindex(b"</w:tr>") + len(b"</w:tr>")
        top = b"<w:tr>" + first + b"<w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr>"
        return xml[:start] + top + rest * 2_999 + xml[end:]

    path = _rewrite(docx_table(tmp_path / "m.docx", rows=1, cols=2).read_bytes(), tmp_path / "merge.docx",
                    "word/document.xml", column)
    grid = formats.read_document(path).grids[0]
    assert len(grid.rows) == 3_000 and grid.rows[0] == ["A", "x"] and grid.rows[-1] == ["", "x"]
    assert grid.merged[0] == (0, 0, 1, 0) and grid.merged[-1] == (2_998, 0, 2_999, 0)


def test_tables_inside_content_controls_are_read_in_document_order(tmp_path, monkeypatch):
    """A table inside a content control (``w:sdt``) was skipped: neither read nor counted. So were a
    row and a paragraph inside one."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    def wrap(element) -> None:
        control = parse_xml(f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent/></w:sdt>")
        element.addprevious(control)
        control.find(qn("w:sdtContent")).append(element)

    document = docx.Document()
    document.add_paragraph("Biểu 01")
    first = document.add_table(rows=2, cols=2)
    for cell, text in zip(first._cells, ["Tên đề án", "Kinh phí", "Máy sấy chè", "100"]):
        cell.text = text
    heading = document.add_paragraph("Biểu 02")
    second = document.add_table(rows=3, cols=2)
    for cell, text in zip(second._cells, ["Tên đề án", "Kinh phí", "Lò nung", "50", "Máy dệt", "70"]):
        cell.text = text
    wrap(first._tbl)
    wrap(first._tbl.getparent().getparent())  # a control inside a control
    wrap(heading._p)
    wrap(second.rows[2]._tr)  # a row-level control
    document.save(tmp_path / "sdt.docx")

    grids = formats.read_document(tmp_path / "sdt.docx").grids
    assert [(g.table, g.above, g.rows) for g in grids] == [
        (1, ["Biểu 01"], [["Tên đề án", "Kinh phí"], ["Máy sấy chè", "100"]]),
        (2, ["Biểu 02"], [["Tên đề án", "Kinh phí"], ["Lò nung", "50"], ["Máy dệt", "70"]]),
    ]
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "9")  # 4 + 6 cells: the controlled rows count too
    with pytest.raises(LimitExceeded, match=r"sdt\.docx \(table 2\): 10 cells is over the limit of 9"):
        formats.read_document(tmp_path / "sdt.docx")


# ---------------------------------------------------------------- ODS

ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
    '<office:spreadsheet><table:table table:name="Trang 1">{rows}</table:table></office:spreadsheet>'
    "</office:body></office:document-content>")
REPEATED_ROW = ('<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
                'table:number-columns-repeated="{cols}" office:value-type="string"><text:p>x</text:p>'
                "</table:table-cell></table:table-row>")


def write_ods(path: Path, rows_xml: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                   '<manifest:file-entry manifest:full-path="/" '
                   'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
        z.writestr("content.xml", ODS_CONTENT.format(rows=rows_xml))
    return path


def test_an_ods_repeating_a_row_is_counted_before_calamine_expands_it(tmp_path, monkeypatch):
    """A 1.5 KB .ods repeating one row 1,000,000 times took 4 GB in 7 s: the repeats are now counted
    in the XML stream, never expanded, and the file refused before calamine opens it."""
    scaled = write_ods(tmp_path / "rep.ods", REPEATED_ROW.format(rows=2_000, cols=10))
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "20000")
    assert len(formats.read_document(scaled).grids[0].rows) == 2_000
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", _NoCalamine)
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "10000")
    with pytest.raises(LimitExceeded, match=r"^rep\.ods \(sheet 'Trang 1'\): 20,000 cells is over the limit of "
                                            r"10,000 .*KHUYENCONG_MAX_CELLS="):
        formats.read_document(scaled)
    monkeypatch.setenv("KHUYENCONG_MAX_COLUMNS", "5")
    with pytest.raises(LimitExceeded, match=r"10 columns is over the limit of 5 "):
        formats.read_document(scaled)
    monkeypatch.undo()
    bomb = write_ods(tmp_path / "bomb.ods", REPEATED_ROW.format(rows=1_000_000, cols=1_000))
    assert bomb.stat().st_size < 2_000
    out = read_capped(bomb)
    for message in (out["validate"], out["document"]):
        assert "1,000,000,000 cells is over the limit of 5,000,000" in message and "KHUYENCONG_MAX_CELLS=" in message


def test_the_empty_rows_and_columns_libreoffice_repeats_to_the_sheet_end_do_not_count(tmp_path, monkeypatch):
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = ("<table:table-row>" + cell.format("Năm") + '<table:table-cell table:number-columns-repeated="2"/>'
            + cell.format("Tỉnh") + '<table:table-cell table:number-columns-repeated="1019"/></table:table-row>'
            '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="1024"/>'
            "</table:table-row><table:table-row>" + cell.format("2020").replace('"string"', '"float" office:value="2020"', 1) * 2
            + '</table:table-row><table:table-row table:number-rows-repeated="1048572">'
            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "16")  # the sheet is 4 rows × 4 columns
    grid = formats.read_document(write_ods(tmp_path / "lo.ods", rows)).grids[0]
    assert [[formats.cell_text(v) for v in r] for r in grid.rows] == [
        ["Năm", "", "", "Tỉnh"], ["", "", "", ""], ["", "", "", ""], ["2020", "2020", "", ""]]
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "15")
    with pytest.raises(LimitExceeded, match="16 cells is over the limit of 15"):
        formats.read_document(tmp_path / "lo.ods")


# ---------------------------------------------------------------- XLSX laid out from A1

def test_an_xlsx_sheet_is_counted_from_a1_and_its_cells_stay_where_they_are(tmp_path, monkeypatch):
    """One cell at J200 is a grid of 200 × 10 once laid out from A1 (it counted as 1 cell); and the leading
    empty rows and columns were added twice (B3 was read at C5)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["B3"], wb.active["C4"] = "a", 1
    wb.create_sheet("Xa")["J200"] = "x"
    wb.save(tmp_path / "far.xlsx")
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "2012")
    sheet, far = formats.read_document(tmp_path / "far.xlsx").grids
    assert sheet.rows == [["", "", ""], ["", "", ""], ["", "a", ""], ["", "", 1]]
    assert (len(far.rows), len(far.rows[0]), far.rows[199][9]) == (200, 10, "x")
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "1999")
    with pytest.raises(LimitExceeded, match=r"far\.xlsx \(sheet2\.xml, cells up to row 200, column 10\): 2,000 cells"):
        formats.read_document(tmp_path / "far.xlsx")


# ---------------------------------------------------------------- XLS

@pytest.mark.parametrize("path", XLS, ids=lambda p: p.name)
def test_an_xls_read_by_calamine_is_what_xlrd_read(path):
    """The .xls reader moved from xlrd (cell by cell) to calamine: the same grids and merged ranges."""
    import xlrd

    from khuyencong.ingest.zipbounds import xls_extents

    data = path.read_bytes()
    sheet = xlrd.open_workbook(file_contents=data, formatting_info=True).sheet_by_index(0)
    grid = formats.read_document(path).grids[0]
    assert grid.rows == formats._square([sheet.row_values(i) for i in range(sheet.nrows)])
    assert sorted(grid.merged) == sorted((a, c, b - 1, d - 1) for a, b, c, d in sheet.merged_cells)
    assert list(xls_extents(data)) == [(sheet.nrows, sheet.ncols)]


def test_an_xls_is_counted_from_its_cell_records_before_it_is_opened(tmp_path, monkeypatch):
    """A real 34 MB .xls of 65,000 × 81 (5.27 M cells) was not refused and still reading after 900 s:
    every sheet's cells are now counted from the BIFF records first (calamine expands every sheet,
    hidden ones too, when it opens a file), and read by calamine (about 2 M cells/s, xlrd 0.3 M)."""
    import xlrd

    path = FIXTURES / "annex_layouts" / "phu_tho_2014_kcdp.xls"  # 15 rows × 8 columns
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", _NoCalamine)
    monkeypatch.setattr(xlrd, "open_workbook", _never("xlrd"))
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "100")
    with pytest.raises(LimitExceeded, match=r"^phu_tho_2014_kcdp\.xls \(sheet 1, cells up to row 15, column 8\): "
                                            r"120 cells is over the limit of 100 .*KHUYENCONG_MAX_CELLS="):
        formats.read_document(path)
    monkeypatch.setenv("KHUYENCONG_MAX_ROWS", "10")
    with pytest.raises(LimitExceeded, match="15 rows is over the limit of 10 "):
        formats.read_document(path)


def test_an_xls_cell_far_down_counts_whatever_the_dimensions_record_says(tmp_path, monkeypatch):
    """A cell record moved to row 60,000 (the DIMENSIONS record left as it was): calamine lays the
    sheet out to that row, so the count goes by the cell records."""
    from khuyencong.ingest.zipbounds import xls_extents

    data = bytearray((FIXTURES / "annex_layouts" / "phu_tho_2014_kcdp.xls").read_bytes())
    at = data.index(struct.pack("<HH", 0x00FD, 10))  # the first LABELSST cell record: row, column, ...
    struct.pack_into("<H", data, at + 4, 59_999)
    path = tmp_path / "far.xls"
    path.write_bytes(bytes(data))
    assert list(xls_extents(bytes(data))) == [(60_000, 8)]
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "100000")
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", _NoCalamine)
    with pytest.raises(LimitExceeded, match=r"far\.xls \(sheet 1, cells up to row 60000, column 8\): 480,000 cells"):
        formats.read_document(path)


# ---------------------------------------------------------------- PDF

def write_pdf(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` pages, each showing one line of text (one content stream shared by all)."""
    text = b"BT /F1 12 Tf 72 720 Td (Trang) Tj ET"
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                b"/Contents 4 0 R >>"] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_a_pdf_over_the_page_limit_is_refused_before_a_page_is_read(tmp_path, monkeypatch):
    """A 2,000-page PDF took 1.8 GB: pages are counted first (KHUYENCONG_MAX_PDF_PAGES, 500), then read
    one at a time, each page's characters let go before the next."""
    import pdfplumber.page

    path = write_pdf(tmp_path / "long.pdf", 30)
    monkeypatch.setenv("KHUYENCONG_MAX_PDF_PAGES", "20")
    monkeypatch.setattr(pdfplumber.page.Page, "extract_text", _never("pdfplumber's text extraction"))
    with pytest.raises(LimitExceeded, match=r"^long\.pdf: 30 pages is over the limit of 20 \(pages of one PDF\)"
                                            r".*KHUYENCONG_MAX_PDF_PAGES="):
        formats.read_document(path)
    monkeypatch.delenv("KHUYENCONG_MAX_PDF_PAGES")
    with pytest.raises(LimitExceeded, match="2,000 pages is over the limit of 500 "):
        formats.read_document(write_pdf(tmp_path / "long.pdf", 2_000))


def test_the_cells_of_a_pdf_s_tables_count_page_by_page(monkeypatch):
    path = FIXTURES / "real_documents" / "rp_binh_thuan_2019_phan_khai_kcdp.pdf"
    cells = sum(len(g.rows) * len(g.rows[0]) for g in formats.read_document(path).grids)
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", str(cells - 1))
    with pytest.raises(LimitExceeded, match=rf"{path.name} \(tables up to page \d+\): {cells:,} cells is over"):
        formats.read_document(path)


# ---------------------------------------------------------------- HTML

def test_an_html_span_is_bounded_before_it_is_laid_out(tmp_path, monkeypatch):
    """A 360-byte HTML table saved as .xls with rowspan=100000 colspan=16000 took 3 GB in 19 s (map and
    validate): the span was expanded cell by cell. A rowspan is now kept per column, spans are read
    as browsers read them (colspan at most 1,000) and merged ranges end at the table's last row."""
    scaled = tmp_path / "span.xls"
    scaled.write_text('<table><tr><td rowspan="300" colspan="300">x</td></tr><tr><td>y</td></tr></table>')
    grid = formats.read_document(scaled).grids[0]
    assert (len(grid.rows), len(grid.rows[0]), grid.rows[1][300], grid.merged) == (2, 301, "y", [(0, 0, 1, 299)])
    monkeypatch.setenv("KHUYENCONG_MAX_ROWS", "1")
    with pytest.raises(LimitExceeded, match=r"^span\.xls \(HTML table\): 2 rows is over the limit of 1 "):
        formats.read_document(scaled)
    monkeypatch.delenv("KHUYENCONG_MAX_ROWS")
    bomb = tmp_path / "bomb.xls"
    bomb.write_text('<html><body><table border="1"><tr><td rowspan="100000" colspan="16000">Kinh phí khuyến công'
                    "</td></tr></table></body></html>")
    grid = formats.read_document(bomb).grids[0]
    assert (len(grid.rows), len(grid.rows[0]), grid.merged) == (1, 1_000, [(0, 0, 0, 999)])
    monkeypatch.setenv("KHUYENCONG_MAX_COLUMNS", "500")
    with pytest.raises(LimitExceeded, match=r"bomb\.xls \(HTML table\): 1,000 columns is over the limit of 500"):
        formats.read_document(bomb)
    monkeypatch.undo()
    assert "problems" in read_capped(bomb)  # validate reads it as any other table


def test_cells_under_a_rowspan_move_right_as_before(tmp_path):
    (tmp_path / "t.html").write_text('<table><tr><td rowspan="2">a</td><td colspan="2">b</td><td>c</td></tr>'
                                     '<tr><td>d</td><td rowspan="2" colspan="2">e</td></tr>'
                                     "<tr><td>f</td><td>g</td></tr></table>")
    grid = formats.read_document(tmp_path / "t.html").grids[0]
    assert grid.rows == [["a", "b", "", "c"], ["", "d", "e", ""], ["f", "g", "", ""]]
    assert grid.merged == [(0, 0, 1, 0), (0, 1, 0, 2), (1, 2, 2, 3)]


# ---------------------------------------------------------------- GSO PX-Web

def pxweb(path: Path, columns: int) -> Path:
    """A PX-Web export: a title, the 63 provinces and ``columns`` measures of 2015."""
    header = ";".join(['"Cities, provincies"'] + [f'"M{i} 2015"' for i in range(columns)])
    rows = [f'"{p.name}";' + ";".join(["1.5"] * columns) for p in provinces.records(provinces.LEGACY)]
    path.write_text("\r\n".join(['"Retail sales by province"', "", header, *rows]) + "\r\n", encoding="utf-8-sig")
    return path


def test_a_pxweb_export_too_wide_is_refused_at_its_header(tmp_path, monkeypatch, capsys):
    """A 50 MB PX-Web export of 63 × 130,000 columns was read with no limit (3 GB, 271 s)."""
    path = pxweb(tmp_path / "wide.csv", 2_000)
    monkeypatch.setenv("KHUYENCONG_MAX_COLUMNS", "1000")
    with pytest.raises(LimitExceeded, match=r"^wide\.csv, line 3 \(the header\): 2,001 columns is over the limit "
                                            r"of 1,000 .*KHUYENCONG_MAX_COLUMNS="):
        gso.read_pxweb(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "2,001 columns is over the limit" in err and "Traceback" not in err
    monkeypatch.setenv("KHUYENCONG_MAX_COLUMNS", "5000")
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "50000")  # 63 rows × 2,001: refused at row 25
    with pytest.raises(LimitExceeded, match=r"^wide\.csv: 50,025 cells is over the limit of 50,000"):
        gso.read_pxweb(path)
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "200000")
    assert gso.read_pxweb(path).accounting.cells == 63 * 2_000


def test_validate_stops_at_a_file_over_a_limit_with_exit_2(tmp_path, monkeypatch, capsys):
    """Every reader's refusal is one line naming the file, the limit and how to raise it (exit 2)."""
    write_ods(tmp_path / "rep.ods", REPEATED_ROW.format(rows=2_000, cols=10))
    monkeypatch.setenv("KHUYENCONG_MAX_CELLS", "10000")
    assert main(["validate", str(tmp_path / "rep.ods")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: rep.ods (sheet 'Trang 1'): 20,000 cells is over the limit")
    assert "KHUYENCONG_MAX_CELLS=" in err[0]
