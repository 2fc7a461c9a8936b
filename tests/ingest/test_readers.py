"""Reading raw files: encodings, separators, title rows, merged headers, header spellings, units."""
from __future__ import annotations

import unicodedata
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from fixtures.raw_files import REGISTER_HEADER, merged_register_xlsx, register_row, write_csv, write_xlsx
from fixtures.shared import shared_file
from khuyencong.ingest.formats import OLE2_MAGIC, UnreadableFileError
from khuyencong.ingest.headers import RawFormatError, fold, split_header
from khuyencong.ingest.readers import read_raw

VI_TITLE = "Hỗ trợ máy sấy cà phê ở Đắk Lắk – Nguyễn Thị Ánh"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
def test_each_encoding_round_trips_vietnamese_text(tmp_path, encoding):
    rows = [register_row(province="Đắk Lắk", title=VI_TITLE), register_row(pid="DA-002", province="Thừa Thiên Huế")]
    path = write_csv(tmp_path / "reg.csv", REGISTER_HEADER, rows, encoding=encoding, sep=";", line_end="\r\n")
    if encoding == "cp1258":  # really combining tone marks, as Windows writes them
        assert "\u0301".encode("cp1258") in path.read_bytes()
    raw = read_raw(path)
    assert raw.dataset == "register"
    assert raw.encoding == encoding
    assert list(raw.frame["title"])[0] == VI_TITLE
    assert list(raw.frame["province"]) == ["Đắk Lắk", "Thừa Thiên Huế"]
    assert all(unicodedata.is_normalized("NFC", t) for t in raw.frame["province"])
    assert raw.header_map["province"] == "Tỉnh/thành phố"
    assert list(raw.frame["source_row"]) == [2, 3]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_separator_is_sniffed(tmp_path, sep):
    rows = [register_row(title="Đào tạo, truyền nghề mây tre đan"), register_row(pid="DA-002")]
    raw = read_raw(write_csv(tmp_path / "reg.csv", REGISTER_HEADER, rows, sep=sep))
    assert list(raw.frame["project_id"]) == ["DA-001", "DA-002"]
    assert raw.frame["title"].iloc[0] == "Đào tạo, truyền nghề mây tre đan"


def test_a_row_wider_than_the_header_is_refused_not_cut(tmp_path):
    """Found by fuzzing: pandas drops the cells beyond the header with only a warning."""
    for wide in (0, 1):  # first data row (pandas warns and cuts) or a later one (the C parser stops)
        rows = [register_row(pid=f"DA-00{i}") + (["stray", "cells"] if i == wide else []) for i in range(3)]
        path = write_csv(tmp_path / "reg.csv", REGISTER_HEADER, rows)
        with pytest.raises(RawFormatError, match=rf"reg\.csv: .*(row\(s\) {2 + wide} have more cells|line {2 + wide}, saw 13)"):
            read_raw(path)


def test_title_lines_and_blank_lines_keep_the_line_numbers_people_see(tmp_path):
    rows = [register_row(), [None] * 11, register_row(pid="DA-002")]
    path = write_csv(tmp_path / "reg.csv", REGISTER_HEADER, rows,
                     title_lines=("DANH MỤC ĐỀ ÁN KHUYẾN CÔNG", "Đơn vị: triệu đồng", ""))
    text = path.read_text(encoding="utf-8").replace(",,,,,,,,,,\n", "\n")  # a truly empty line
    path.write_text(text, encoding="utf-8")
    raw = read_raw(path)
    assert raw.header_rows == (4,)
    assert list(raw.frame["project_id"]) == ["DA-001", "DA-002"]
    assert list(raw.frame["source_row"]) == [5, 7]


def test_xlsx_title_rows_merged_header_guide_sheet_and_text_numbers(tmp_path):
    rows = [register_row(support="1.234,5", contribution="765,5", total="2.000"),
            register_row(pid="DA-002", support=100, contribution=20.5, total=120.5)]
    raw = read_raw(merged_register_xlsx(tmp_path / "merged.xlsx", rows))
    assert raw.sheet == "Đề án 2020"
    assert raw.header_rows == (3, 4)
    assert raw.header_map["state_support"] == "Kinh phí (triệu đồng): Hỗ trợ"
    assert raw.header_map["beneficiary_contribution"] == "Kinh phí (triệu đồng): Đối ứng"
    assert raw.header_map["total_cost"] == "Kinh phí (triệu đồng): Tổng"
    assert raw.unit_scale == {"state_support": 1.0, "beneficiary_contribution": 1.0, "total_cost": 1.0}
    assert list(raw.frame["source_row"]) == [5, 6]  # trailing styled empty cells are not rows
    assert list(raw.frame["state_support"]) == ["1.234,5", 100]  # as in the file; parsed later
    assert raw.ignored_headers == []


def test_xlsx_picks_the_data_sheet_not_the_guide(tmp_path):
    path = write_xlsx(tmp_path / "reg.xlsx", REGISTER_HEADER, [register_row()], title_rows=2, guide_sheet=True)
    raw = read_raw(path)
    assert raw.sheet == "Dữ liệu"
    assert raw.frame["source_row"].tolist() == [4]


def test_english_and_unaccented_headers_map(tmp_path):
    english = ["Year", "Province", "Project ID", "Project title", "Content category", "Funding source",
               "Establishment ID", "State support (million VND)", "Beneficiary contribution (million VND)",
               "Total cost (million VND)", "Status"]
    ascii_ = [unicodedata.normalize("NFD", h.replace("đ", "d").replace("Đ", "D")) for h in REGISTER_HEADER]
    ascii_ = ["".join(c for c in h if not unicodedata.combining(c)).upper() for h in ascii_]
    for header in (english, ascii_):
        raw = read_raw(write_csv(tmp_path / "reg.csv", header + ["Ghi chú"], [register_row() + ["x"]]))
        assert set(raw.header_map) == {"year", "province", "project_id", "title", "category", "funding_source",
                                       "establishment_id", "state_support", "beneficiary_contribution",
                                       "total_cost", "status"}
        assert raw.ignored_headers == ["Ghi chú"]


@pytest.mark.parametrize("unit, factor", [("triệu đồng", 1.0), ("trđ", 1.0), ("million VND", 1.0),
                                          ("nghìn đồng", 0.001), ("1000 đồng", 0.001), ("đồng", 1e-6),
                                          ("VND", 1e-6), ("tỷ đồng", 1000.0), ("billion VND", 1000.0)])
def test_money_unit_in_header_gives_the_scale(tmp_path, unit, factor):
    header = [h.replace("(triệu đồng)", f"({unit})") if h.startswith("Kinh phí hỗ trợ") else h
              for h in REGISTER_HEADER]
    raw = read_raw(write_csv(tmp_path / "reg.csv", header, [register_row()]))
    assert raw.unit_scale["state_support"] == factor
    assert raw.unit_scale["beneficiary_contribution"] == 1.0


def test_unknown_money_unit_is_an_error(tmp_path):
    header = [h.replace("(triệu đồng)", "(USD)") if h.startswith("Kinh phí hỗ trợ") else h for h in REGISTER_HEADER]
    with pytest.raises(RawFormatError, match=r"Kinh phí hỗ trợ \(USD\).*\(triệu đồng\)"):
        read_raw(write_csv(tmp_path / "reg.csv", header, [register_row()]))


def test_missing_required_column_names_file_column_and_headers_found(tmp_path):
    header = [h if h != "Mã cơ sở" else "Ma co sox" for h in REGISTER_HEADER]
    header = [h for h in header if h != "Tình trạng"]
    with pytest.raises(RawFormatError) as err:
        read_raw(write_csv(tmp_path / "bad.csv", header, [register_row()[:-1]]), dataset="register")
    msg = str(err.value)
    assert "bad.csv" in msg
    assert "add a column headed 'Tình trạng' (or 'Status')" in msg
    assert "add a column headed 'Mã cơ sở' (or 'Establishment ID') (closest header found: Ma co sox)" in msg
    assert "Headers found:" in msg and "Nguồn kinh phí" in msg


def test_dataset_detection_survey_and_ambiguity(tmp_path):
    survey = write_csv(tmp_path / "s.csv", ["Mã cơ sở", "Tỉnh", "Năm", "Giá trị sản xuất (tỷ đồng)", "Số lao động"],
                       [["CS-1", "Hà Nội", 2020, "1,5", 10]])
    raw = read_raw(survey)
    assert raw.dataset == "survey" and raw.unit_scale == {"output_value": 1000.0}
    both = write_csv(tmp_path / "both.csv", ["Tỉnh", "Năm"], [["Hà Nội", 2020]])
    with pytest.raises(RawFormatError, match=r"several datasets equally.*province_stats.*plans.*\['Tỉnh', 'Năm'\]"):
        read_raw(both)
    nothing = write_csv(tmp_path / "n.csv", ["a", "b"], [[1, 2]])
    with pytest.raises(RawFormatError, match="no header row"):
        read_raw(nothing)


def test_decimal_mark_is_recognised_per_file(tmp_path):
    english = read_raw(write_csv(tmp_path / "en.csv", REGISTER_HEADER, [register_row(support="1234.5")]))
    vietnamese = read_raw(write_csv(tmp_path / "vi.csv", REGISTER_HEADER, [register_row(support="1.234,5")],
                                    sep=";"))
    undecided = read_raw(write_csv(tmp_path / "int.csv", REGISTER_HEADER, [register_row(support="1.234")]))
    assert (english.decimal, vietnamese.decimal, undecided.decimal) == (".", ",", ",")


def test_header_folding():
    assert fold("Tỉnh/Thành phố") == "tinh thanh pho"
    assert fold("ĐỒNG") == "dong"
    assert split_header("Kinh phí hỗ trợ (Đơn vị: nghìn đồng)") == ("kinh phi ho tro", "nghin dong")


def test_duplicate_header_meaning_is_an_error(tmp_path):
    header = REGISTER_HEADER + ["State support"]
    with pytest.raises(RawFormatError, match="all mean column 'state_support'"):
        read_raw(write_csv(tmp_path / "d.csv", header, [register_row() + ["1"]]))


def test_content_decides_not_the_extension(tmp_path):
    header, rows = REGISTER_HEADER, [register_row()]
    csv_named_xlsx = write_csv(tmp_path / "r.csv", header, rows).rename(tmp_path / "r.xlsx")
    assert len(read_raw(csv_named_xlsx).frame) == 1  # a CSV saved with an .xlsx name is read as CSV
    damaged = tmp_path / "old.xls"
    damaged.write_bytes(OLE2_MAGIC + b"\x00" * 64)
    with pytest.raises(UnreadableFileError, match="Excel 97-2003"):
        read_raw(damaged)
    binary = tmp_path / "x.dat"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(UnreadableFileError, match="save it as .xlsx or .csv"):
        read_raw(binary)


def test_a_table_without_our_headers_points_to_map(tmp_path):
    p = tmp_path / "annex.xls"  # an HTML table saved with an .xls name, as web portals export
    p.write_text("<table><tr><td>STT</td><td>Nội dung</td></tr><tr><td>1</td><td>x</td></tr></table>",
                 encoding="utf-8")
    with pytest.raises(RawFormatError, match="khuyencong map"):
        read_raw(p)


def test_xlsx_numbers_stay_numbers_and_project_ids_as_printed(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(REGISTER_HEADER)
    ws.append(register_row(year=2021, pid=1001, support=12.5, contribution=0, total=12.5))
    wb.save(tmp_path / "n.xlsx")
    raw = read_raw(tmp_path / "n.xlsx")
    row = raw.frame.iloc[0]
    assert row["year"] == 2021 and row["project_id"] == 1001 and row["state_support"] == 12.5


@pytest.mark.shared
def test_gso_pxweb_export_is_routed_to_the_gso_reader():
    path = shared_file("gso", "Index of Industrial production by province.csv")
    raw = read_raw(path)
    assert raw.dataset == "province_stats" and raw.decimal == "."
    assert "iip" in raw.frame.columns
    assert (raw.frame["province"].str.strip() == "WHOLE COUNTRY").any()  # kept, so that it is rejected visibly
    assert pd.api.types.is_numeric_dtype(raw.frame["source_row"])


# ---------------------------------------------------------------- issue 12: bad files, silent loss

def rezip(src, dst, drop=(), edit=None):
    """A copy of the zip ``src`` without the members ``drop``, members in ``edit`` passed through a function."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            if info.filename not in drop:
                data = a.read(info.filename)
                b.writestr(info.filename, (edit or {}).get(info.filename, lambda d: d)(data))
    return dst


def _bad_files(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", REGISTER_HEADER, [register_row()])
    header = ",".join(REGISTER_HEADER)
    files = {
        "not a zip": (tmp_path / "a.xlsx", b"PK\x03\x04" + b"garbage" * 20),
        "csv named xlsx, damaged quote": (tmp_path / "b.xlsx", (header + '\n2020,"Bắc\n').encode()),
        "no content types": (rezip(good, tmp_path / "c.xlsx", drop=("[Content_Types].xml",)), None),
        "no sheet part": (rezip(good, tmp_path / "d.xlsx", drop=("xl/worksheets/sheet1.xml",)), None),
        "damaged sheet xml": (rezip(good, tmp_path / "e.xlsx", edit={"xl/worksheets/sheet1.xml": lambda d: d[:200]}),
                              None),
        "100k columns": (tmp_path / "f.csv", (",".join(f"c{i}" for i in range(100_000)) + "\n1\n").encode()),
        "field over the csv limit": (tmp_path / "g.csv", (header + '\n"' + "x" * 2_000_000 + '"\n').encode()),
        "control characters": (tmp_path / "h.csv", (header + "\n2020,Bắc Giang,DA\x07,a\x1bb\x7f,x\x0c\n").encode()),
        "undecodable bytes": (tmp_path / "i.csv", header.encode() + b"\n\x81\x8d\x8e\x8f\x90\n"),
    }
    for path, data in files.values():
        if data is not None:
            path.write_bytes(data)
    return {name: path for name, (path, _) in files.items()}


def test_every_bad_file_is_a_message_never_a_traceback(tmp_path):
    """Each damaged or hostile file gives rows + rejected + a message (a project error), nothing else."""
    from khuyencong.errors import KhuyencongError
    from khuyencong.ingest.validate import validate_paths
    from khuyencong.limits import LimitExceeded

    for name, path in _bad_files(tmp_path).items():
        try:
            read_raw(path)
        except KhuyencongError as exc:
            assert str(exc), name
        try:
            report = validate_paths([path])  # the file becomes a problem of the report,
        except LimitExceeded as exc:  # or, over a resource limit, stops validate (exit 2) saying how to raise it
            assert "KHUYENCONG_MAX_" in str(exc), name
            continue
        assert report.rows_read == 0 or report.problems or name == "control characters", name


def test_excel_true_false_in_a_number_column_is_a_problem_on_that_cell(tmp_path):
    from khuyencong.ingest.clean import clean_table

    path = write_xlsx(tmp_path / "b.xlsx", REGISTER_HEADER, [register_row(support=True, contribution=False),
                                                             register_row(pid="DA-002")])
    result = clean_table(read_raw(path))
    assert result.rows_kept == 1 and result.rows_rejected == 1
    assert result.rejected["reason"].iloc[0] == "not a number"


def test_a_stale_stored_dimension_does_not_drop_rows(tmp_path):
    import re

    rows = [register_row(pid=f"DA-{i:03d}") for i in range(20)]
    full = write_xlsx(tmp_path / "full.xlsx", REGISTER_HEADER, rows)
    stale = rezip(full, tmp_path / "stale.xlsx", edit={"xl/worksheets/sheet1.xml": lambda d: re.sub(
        rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:C10"/>', d)})
    assert b'ref="A1:C10"' in zipfile.ZipFile(stale).read("xl/worksheets/sheet1.xml")
    raw = read_raw(stale)
    assert len(raw) == 20 and list(raw.frame.columns) == list(read_raw(full).frame.columns)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_skipped_and_reported_not_preferred(tmp_path, state):
    wb = Workbook()
    visible = wb.active
    visible.title = "Data"
    for r in [REGISTER_HEADER] + [register_row(pid=f"DA-{i}") for i in range(5)]:
        visible.append(r)
    old = wb.create_sheet("Old draft")
    for r in [REGISTER_HEADER] + [register_row(pid=f"OLD-{i}") for i in range(60)]:
        old.append(r)
    old.sheet_state = state
    wb.save(tmp_path / "h.xlsx")
    raw = read_raw(tmp_path / "h.xlsx")
    assert raw.sheet == "Data" and len(raw) == 5
    assert [(p.sheet, p.check, p.severity) for p in raw.extra_problems] == [("Old draft", "hidden sheet", "warning")]


# ---------------------------------------------------------------- issue 10: XLSX through python-calamine

def test_xlsx_cells_come_out_as_openpyxl_reads_them(tmp_path):
    """calamine gives floats and dates; the reader gives back what the workbook stores (openpyxl is the oracle):
    integers as int, decimals untouched, dates as datetime, text NFC but with its spaces, blanks None."""
    import datetime as dt

    from openpyxl import load_workbook

    nfd_name = unicodedata.normalize("NFD", "Hòa Bình")
    rows = [register_row(year=2021, pid=1001, support=12.5, contribution=0, total=12.5),
            register_row(pid="DA-002", support=4, contribution=2.25, total=6.25),
            register_row(pid="DA-003", province=nfd_name, title="  hai  dấu cách  ", support=None,
                         contribution=dt.date(2020, 1, 2), total=10**15 + 1),
            register_row(pid="DA-004", support=True, contribution=-3, total=1e20)]
    path = write_xlsx(tmp_path / "typed.xlsx", REGISTER_HEADER, rows)
    frame = read_raw(path).frame
    book = load_workbook(path, read_only=True, data_only=True)
    oracle = list(book.active.iter_rows(min_row=2, values_only=True))
    book.close()  # read-only keeps the file open until closed; its ResourceWarning would fail a later test
    expected = pd.DataFrame([[unicodedata.normalize("NFC", v) if isinstance(v, str) else v for v in r]
                             for r in oracle], dtype=object).infer_objects()
    assert frame.drop(columns="source_row").shape[1] == expected.shape[1]
    for j, name in enumerate(frame.columns[:-1]):
        assert frame[name].dtype == expected[j].dtype, name
        got, want = frame[name].tolist(), expected[j].tolist()
        assert [type(v) for v in got] == [type(v) for v in want] and str(got) == str(want), name
    assert frame["project_id"].iloc[0] == 1001 and type(frame["project_id"].iloc[0]) is int
    assert frame["title"].iloc[2] == "  hai  dấu cách  " and frame["province"].iloc[2] == "Hòa Bình"


def test_a_hidden_sheet_named_explicitly_says_it_is_hidden(tmp_path):
    wb = Workbook()
    wb.active.append(REGISTER_HEADER)
    old = wb.create_sheet("Old draft")
    old.append(REGISTER_HEADER)
    old.sheet_state = "hidden"
    wb.save(tmp_path / "h.xlsx")
    with pytest.raises(RawFormatError, match="'Old draft' is hidden; unhide it"):
        read_raw(tmp_path / "h.xlsx", sheet="Old draft")
