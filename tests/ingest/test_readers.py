"""Reading raw files: encodings, separators, title rows, merged headers, header spellings, units."""
from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from openpyxl import Workbook

from fixtures.raw_files import REGISTER_HEADER, merged_register_xlsx, register_row, write_csv, write_xlsx
from fixtures.shared import shared_file
from khuyencong.ingest.readers import RawFormatError, fold, read_raw, split_header

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


def test_unsupported_suffix(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf")
    with pytest.raises(RawFormatError, match="save it as .xlsx"):
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
