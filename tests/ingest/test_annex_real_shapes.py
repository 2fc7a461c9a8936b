"""The shapes of published documents the annex reader must handle (issue 18), one small file each.

Each test writes the smallest file showing one shape and checks what the reader makes of it: rows
that are not projects, category without a category column, blank is not zero, per-row funding
source and ID columns, year blocks, a project of both programmes, a decision's heading table.
"""
from __future__ import annotations

from pathlib import Path

import docx
import pytest

from khuyencong.ingest import annex_rows
from khuyencong.ingest.mapping import mapping_path, propose_mapping, write_mapping


def _csv(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read(path: Path) -> annex_rows.AnnexResult:
    layouts, _ = annex_rows.layouts_of(path)
    write_mapping(propose_mapping(path, layouts), mapping_path(path))
    from khuyencong.ingest.mapping import load_mapping

    return annex_rows.read_annex(path, load_mapping(mapping_path(path)))


def _kinds(result: annex_rows.AnnexResult) -> dict[int, str]:
    return {s["row"]: s["kind"] for s in result.structure}


def test_rows_that_are_not_projects(tmp_path: Path) -> None:
    path = _csv(tmp_path, "quang_tri_2023_ke_hoach.csv", [
        "SỞ CÔNG THƯƠNG TỈNH QUẢNG TRỊ,,,,",
        "KẾ HOẠCH KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM 2023,,,,",
        "STT,Tên đề án,Đơn vị thụ hưởng,Kinh phí KCĐP,Đối ứng",
        "(1),(2),(3),(4),(5)",
        "1,Hỗ trợ ứng dụng máy sấy nông sản,Cơ sở An Phú,300,700",
        ",Trong đó: - Máy sấy,,200,500",
        ",- Máy đóng gói,,100,200",
        "2,Đào tạo nghề mây tre đan,HTX Tân Lập,150,20",
        "STT,Tên đề án,Đơn vị thụ hưởng,Kinh phí KCĐP,Đối ứng",
        "3,Tham gia hội chợ triển lãm hàng CNNT khu vực,Trung tâm Khuyến công,80,-",
        ",Tổng cộng,,530,720",
        "Người lập biểu,,KT. GIÁM ĐỐC,,",
        ",,PHÓ GIÁM ĐỐC,,",
        ",,Nguyễn Văn A,,",
    ])
    result = _read(path)
    assert [r["title"] for r in result.records] == ["Hỗ trợ ứng dụng máy sấy nông sản", "Đào tạo nghề mây tre đan",
                                                    "Tham gia hội chợ triển lãm hàng CNNT khu vực"]
    kinds = _kinds(result)
    assert kinds[4] == "column_numbers" and kinds[6] == kinds[7] == "breakdown" and kinds[9] == "header"
    assert kinds[11] == "total" and {kinds[12], kinds[13], kinds[14]} <= {"note", "signature"}
    total = next(s for s in result.structure if s["kind"] == "total")
    assert total["reconciles"], result.issues  # the breakdown rows were not added again
    assert [r["category_code"] for r in result.records] == ["technology", "training", "fairs"]
    assert result.records[2]["beneficiary_contribution"] == 0.0  # "-" is zero
    # the extension centre runs the fair: it implements, it is no establishment to survey
    assert result.records[0]["establishment_id"].startswith("D-") and result.records[2]["establishment_id"] is None
    assert not [i for i in result.issues if i.severity == "error"]


def test_category_from_section_then_title_then_unclassified(tmp_path: Path) -> None:
    path = _csv(tmp_path, "ha_tinh_2021_de_an.csv", [
        "STT,Tên đề án,Đơn vị thụ hưởng,Kinh phí hỗ trợ",
        "I,Hỗ trợ xây dựng mô hình trình diễn kỹ thuật,,",
        "1,Sản xuất gạch không nung,Công ty Hồng Lĩnh,500",
        "II,Các đề án khác,,",
        "1,Hỗ trợ thuê tư vấn lập dự án đầu tư,Công ty Kỳ Anh,60",
        "2,Hỗ trợ cơ sở Minh Tâm,Cơ sở Minh Tâm,40",
    ])
    result = _read(path)
    got = [(r["category_code"], r["category_from"]) for r in result.records]
    assert got == [("demonstration", "section"), ("consulting", "title"), ("unclassified", "none")]
    unclassified = [i for i in result.issues if i.kind == "unclassified_category"]
    assert [(i.row, i.severity) for i in unclassified] == [(6, "warning")]  # kept, with a notice


def test_unknown_label_in_a_category_column_goes_to_review(tmp_path: Path) -> None:
    path = _csv(tmp_path, "nam_dinh_2020.csv", [
        "STT,Tên đề án,Nội dung khuyến công,Đơn vị thụ hưởng,Kinh phí hỗ trợ",
        "1,Hỗ trợ máy dệt,Hoạt động đặc thù XYZ,Cơ sở dệt Nam Trực,100",
    ])
    layouts, _ = annex_rows.layouts_of(path)
    proposal = propose_mapping(path, layouts)
    assert proposal.values["category"]["Hoạt động đặc thù XYZ"]["code"] is None
    assert any("Hoạt động đặc thù XYZ" in line for line in proposal.to_review())


def test_blank_is_missing_and_per_row_source_and_ids(tmp_path: Path) -> None:
    path = _csv(tmp_path, "vinh_long_2022_so_de_an.csv", [
        "Mã đề án,Mã cơ sở,Tên đề án,Đơn vị thụ hưởng,Ngành nghề,Nguồn kinh phí,Kinh phí hỗ trợ,Đối ứng,Số máy",
        "VL-01,CS-101,Hỗ trợ máy sấy cốm,Cơ sở cốm Sa Đéc,Chế biến thực phẩm,KCQG,300,,2",
        "VL-02,CS-102,Hỗ trợ máy ép trái cây,Cơ sở Tân Quới,Chế biến thực phẩm,Khuyến công địa phương,120,240,1",
    ])
    result = _read(path)
    first, second = result.records
    assert (first["project_id"], first["establishment_id"], first["establishment_id_derived"]) == \
        ("VL-01", "CS-101", False)
    assert (first["funding_source"], second["funding_source"]) == ("KCQG", "KCDP")
    assert first["beneficiary_contribution"] is None and second["beneficiary_contribution"] == 240.0
    assert (first["industry"], first["machines"]) == ("Chế biến thực phẩm", 2)
    assert [(i.row, i.kind, i.severity) for i in result.issues] == [(2, "missing_contribution", "warning")]


def test_year_blocks_are_one_row_per_project_and_year(tmp_path: Path) -> None:
    path = _csv(tmp_path, "quang_ninh_ke_hoach.csv", [
        "ĐVT: 1.000 đồng,,,,",
        "STT,Nội dung,Kế hoạch năm 2023,,Kế hoạch năm 2024,",
        ",,KCĐP,Đối ứng,KCĐP,Đối ứng",
        "1,Đào tạo nghề thêu ren,150.000,30.000,160.000,",
        "2,Bình chọn sản phẩm CNNT tiêu biểu,,,200.000,0",
    ])
    result = _read(path)
    got = [(r["title"][:8], r["year"], r["state_total"], r["beneficiary_contribution"]) for r in result.records]
    assert got == [("Đào tạo ", 2023, 150.0, 30.0), ("Đào tạo ", 2024, 160.0, None), ("Bình chọ", 2024, 200.0, 0.0)]


def test_a_row_with_money_in_no_year_block_is_still_a_project(tmp_path: Path) -> None:
    path = _csv(tmp_path, "quang_ninh_ke_hoach_2023.csv", [
        "KẾ HOẠCH KHUYẾN CÔNG NĂM 2023,,,,",
        "STT,Nội dung,Kế hoạch năm 2023,,Kế hoạch năm 2024,",
        ",,KCĐP,Đối ứng,KCĐP,Đối ứng",
        "1,Đào tạo nghề thêu ren,150,30,160,",
        "2,Bình chọn sản phẩm CNNT tiêu biểu,,,,",
    ])
    result = _read(path)
    got = [(r["title"][:8], r["year"], r["state_total"]) for r in result.records]
    assert got == [("Đào tạo ", 2023, 150.0), ("Đào tạo ", 2024, 160.0), ("Bình chọ", 2023, None)]
    acc = result.accounting
    assert acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"] + acc["rows_structure"]


def test_a_cumulative_block_is_not_the_rows_money(tmp_path: Path) -> None:
    path = _csv(tmp_path, "thai_nguyen_2021_ket_qua.csv", [
        "KẾT QUẢ HỖ TRỢ NĂM 2021 VÀ LŨY KẾ 2016 - 2021,,,,,",
        "STT,Nội dung hỗ trợ,Năm 2021,,Lũy kế 2016 - 2021,",
        ",,Số HTX,Kinh phí hỗ trợ,Số HTX,Kinh phí hỗ trợ",
        "1,Hỗ trợ máy chế biến chè,1,300,16,2.500",
        "2,Hỗ trợ máy sản xuất đồ gỗ,,,2,400",
    ])
    result = _read(path)
    assert [(r["year"], r["state_total"]) for r in result.records] == [(2021, 300.0), (2021, None)]
    columns = result.mapping.columns
    assert [columns[h]["role"] for h in columns if h.startswith("Lũy kế")] == ["ignore", "ignore"]


def test_a_project_of_both_programmes_is_split(tmp_path: Path) -> None:
    path = _csv(tmp_path, "thai_binh_2020.csv", [
        "STT,Tên đề án,Đơn vị thụ hưởng,KCQG,KCĐP,Đối ứng,Tổng kinh phí",
        "1,Mô hình trình diễn sản xuất chiếu cói,HTX Kim Sơn,300,100,600,1000",
    ])
    result = _read(path)
    parts = result.records
    assert [(p["funding_source"], p["state_total"]) for p in parts] == [("KCQG", 300.0), ("KCDP", 100.0)]
    assert sum(p["beneficiary_contribution"] for p in parts) == pytest.approx(600.0)
    assert sum(p["total"] for p in parts) == pytest.approx(1000.0)
    assert result.accounting["rows_kept"] == 1  # one printed row


def test_a_row_year_far_from_the_document_year_is_a_typo(tmp_path: Path) -> None:
    path = _csv(tmp_path, "soc_trang.csv", [
        "DANH SÁCH ĐỀ ÁN KHUYẾN CÔNG NĂM 2023,,,",
        "STT,Năm,Tên đề án,Kinh phí hỗ trợ",
        "1,2023,Đào tạo nghề đan lục bình,100",
        "2,2032,Hỗ trợ máy ép mía,200",
    ])
    result = _read(path)
    assert [(i.row, i.kind) for i in result.issues if i.severity == "error"] == [(4, "year_out_of_range")]


def test_a_decisions_heading_table_gives_province_number_and_date(tmp_path: Path) -> None:
    document = docx.Document()
    heading = document.add_table(rows=2, cols=2)
    heading.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG BÌNH"
    heading.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    heading.cell(1, 0).text = "Số: 123/QĐ-UBND"
    heading.cell(1, 1).text = "Quảng Bình, ngày 28 tháng 12 năm 2022"
    document.add_paragraph("QUYẾT ĐỊNH phê duyệt kế hoạch khuyến công địa phương năm 2023")
    document.add_paragraph("Căn cứ Nghị định số 45/2012/NĐ-CP ngày 21 tháng 5 năm 2012;")
    table = document.add_table(rows=2, cols=4)
    for c, text in enumerate(["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí hỗ trợ (triệu đồng)"]):
        table.cell(0, c).text = text
    for c, text in enumerate(["1", "Hỗ trợ máy cưa gỗ", "Cơ sở mộc Lệ Thủy", "150"]):
        table.cell(1, c).text = text
    path = tmp_path / "quyet_dinh.docx"
    document.save(path)
    layouts, result = annex_rows.layouts_of(path)
    facts = layouts[0].facts
    assert (facts.province.value, facts.decision.value, facts.dated.value, facts.year.value) == \
        ("Quảng Bình", "123/QĐ-UBND", "2022-12-28", 2023)
    assert result.sheets_skipped[0][0] == "table 1"  # the heading table is no annex
    record = annex_rows.read_annex(path).records[0]
    assert (record["province"], record["year"], record["funding_source"]) == ("Quảng Bình", 2023, "KCDP")


def test_thousand_dong_unit_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "bac_ninh_2019.csv", [
        "ĐVT: 1.000 đồng,,",
        "STT,Tên đề án,Kinh phí hỗ trợ",
        "1,Đào tạo nghề gốm,85.500",
    ])
    assert _read(path).records[0]["state_total"] == pytest.approx(85.5)


def test_the_title_evidence_is_in_the_mapping_and_a_reviewer_can_change_it(tmp_path: Path) -> None:
    from khuyencong.ingest.mapping import load_mapping

    path = _csv(tmp_path, "ha_tinh_2021_de_an.csv", [
        "STT,Tên đề án,Đơn vị thụ hưởng,Kinh phí hỗ trợ",
        "1,Hỗ trợ thuê tư vấn lập dự án đầu tư,Công ty Kỳ Anh,60",
        "2,Hỗ trợ cơ sở Minh Tâm,Cơ sở Minh Tâm,40",
    ])
    layouts, _ = annex_rows.layouts_of(path)
    proposal = propose_mapping(path, layouts)
    titles = proposal.values["category_from_title"]
    assert (titles["Hỗ trợ thuê tư vấn lập dự án đầu tư"]["code"], titles["Hỗ trợ thuê tư vấn lập dự án đầu tư"]["alias"]) \
        == ("consulting", "tư vấn")
    assert titles["Hỗ trợ cơ sở Minh Tâm"]["code"] == "unclassified"
    assert any("1 title(s) name no content" in line for line in proposal.to_review())
    titles["Hỗ trợ cơ sở Minh Tâm"].update(code="technology", how="reviewed")  # the reviewer knows the project
    write_mapping(proposal, mapping_path(path))
    records = annex_rows.read_annex(path, load_mapping(mapping_path(path))).records
    assert [r["category_code"] for r in records] == ["consulting", "technology"]


def test_a_numbered_group_over_lettered_items_is_not_a_project(tmp_path: Path) -> None:
    path = _csv(tmp_path, "tuyen_quang_2023.csv", [
        "KẾ HOẠCH KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM 2023,,,,",
        "STT,Nội dung,Đơn vị thụ hưởng,Số đề án,Kinh phí KCĐP hỗ trợ",
        "1,Hỗ trợ ứng dụng máy móc thiết bị,,2,",
        ",Huyện Yên Sơn,,,",
        "a),Máy đóng gói trà túi lọc,HTX Bình Minh,1,100",
        "b),Máy chưng cất rượu,HTX Xứ Tuyên,1,100",
        "2,Thông tin tuyên truyền về công tác khuyến công,,1,",
    ])
    result = _read(path)
    got = [(r["stt"], r["category_code"]) for r in result.records]
    assert got == [("a)", "technology"), ("b)", "technology"), ("2", "information")]
    assert _kinds(result)[3] == "section"


def test_a_heading_naming_two_contents_lets_each_row_say_which(tmp_path: Path) -> None:
    path = _csv(tmp_path, "thai_binh_2020.csv", [
        "STT,Nội dung,Kinh phí KCĐP hỗ trợ",
        "II,Mô hình trình diễn kỹ thuật; ứng dụng máy móc chuyển giao công nghệ,",
        "1,Hỗ trợ xây dựng mô hình trình diễn kỹ thuật sản xuất gạch không nung,300",
        "2,Hỗ trợ cơ sở ứng dụng máy móc hiện đại vào sản xuất,200",
        "3,Hỗ trợ sản xuất bánh đa nem,100",
    ])
    got = [(r["category_code"], r["category_from"]) for r in _read(path).records]
    assert got == [("demonstration", "section"), ("technology", "title"), ("demonstration", "section")]


def test_programme_named_in_words_in_a_funding_column_or_as_the_provinces_fund(tmp_path: Path) -> None:
    path = _csv(tmp_path, "lam_dong_2017.csv", [
        "TỔNG HỢP ĐỀ ÁN KHUYẾN CÔNG NĂM 2017,,",
        "STT,Nguồn kinh phí,Kinh phí khuyến công",
        "1,Đề án khuyến công quốc gia,1.800",
        "2,Đề án khuyến công địa phương,8.300",
    ])
    result = _read(path)
    assert [r["funding_source"] for r in result.records] == ["KCQG", "KCDP"]
    assert not [i for i in result.issues if i.severity == "error"]
    path = _csv(tmp_path, "dong_hy_2019.csv", [
        "DANH SÁCH CƠ SỞ ĐƯỢC HỖ TRỢ TỪ QUỸ KHUYẾN CÔNG TỈNH NĂM 2019,,,",
        "STT,Nội dung hỗ trợ,Đơn vị thụ hưởng,Quỹ khuyến công hỗ trợ",
        "1,Hỗ trợ mua máy đan lưới thép B40,Cơ sở Nguyễn Năng Toàn,100",
    ])
    assert [r["funding_source"] for r in _read(path).records] == ["KCDP"]


def test_a_content_column_naming_a_machine_is_classified_by_its_words(tmp_path: Path) -> None:
    path = _csv(tmp_path, "hue_2019.csv", [
        "STT,Tên đề án,Nội dung hỗ trợ,Kinh phí KCĐP hỗ trợ",
        "1,Đầu tư thiết bị tiên tiến vào sản xuất lúa giống,Máy sàng làm sạch và phân loại hạt giống LS1.0,88",
    ])
    result = _read(path)
    assert [(r["category_code"], r["category_from"]) for r in result.records] == [("technology", "column")]
    assert result.mapping.values["category"]["Máy sàng làm sạch và phân loại hạt giống LS1.0"]["how"] == "title"


def test_money_parts_named_under_a_project_are_its_money(tmp_path: Path) -> None:
    path = _csv(tmp_path, "ha_giang_2021.csv", [
        "KẾT QUẢ NGHIỆM THU ĐỀ ÁN KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM 2021,,,",
        "ĐVT: 1.000 đồng,,,",
        "STT,Tên đề án,Đơn vị thụ hưởng,Kinh phí",
        "1,Hỗ trợ máy sao chè,HTX Tuấn Băng,435.000",
        ",- Kinh phí khuyến công hỗ trợ:,,200.000",
        ",- Vốn đối ứng của cơ sở:,,235.000",
        "2,Hỗ trợ máy chế biến mật ong,HTX Cốc Rế,214.000",
        ",- Kinh phí khuyến công hỗ trợ:,,",
        ",- Vốn đối ứng của cơ sở:,,",
    ])
    result = _read(path)
    got = [(r["state_total"], r["beneficiary_contribution"], r["total"]) for r in result.records]
    assert got == [(200.0, 235.0, 435.0), (None, None, 214.0)]
    assert {s["row"]: s["kind"] for s in result.structure if s["row"] > 3} == {5: "breakdown", 6: "breakdown",
                                                                               8: "breakdown", 9: "breakdown"}


def test_a_programme_line_over_its_funding_rows_is_one_project(tmp_path: Path) -> None:
    path = _csv(tmp_path, "yen_bai.csv", [
        "TỔNG HỢP KINH PHÍ CHƯƠNG TRÌNH KHUYẾN CÔNG GIAI ĐOẠN 2016 - 2020,,,",
        "ĐVT: tỷ đồng,,,",
        "STT,Nội dung,Số đề án,Kinh phí",
        "I,Chương trình khuyến công tỉnh Yên Bái giai đoạn 2016 - 2020,138,\"24,235\"",
        ",Nguồn vốn:,,",
        "1,Ngân sách trung ương (KCQG),33,\"10,365\"",
        "2,Ngân sách tỉnh (KCĐP),105,\"13,870\"",
    ])
    parts = _read(path).records
    assert [(p["funding_source"], p["state_total"]) for p in parts] == [("KCQG", 10365.0), ("KCDP", 13870.0)]
    assert {p["row"] for p in parts} == {4} and all(p["year"] is None for p in parts)  # a period: no year


def test_cells_that_print_their_own_unit(tmp_path: Path) -> None:
    path = _csv(tmp_path, "ninh_thuan.csv", [
        "STT,Năm,Tên đề án,Tổng kinh phí,Kinh phí khuyến công hỗ trợ,Vốn đối ứng",
        "1,2018,Hỗ trợ máy chế biến nước mắm,601 triệu,200 triệu,401 triệu",
        "2,2018,Hỗ trợ máy sấy nông sản,\"1,2 tỷ\",150 tr.đ,1 050",
    ])
    result = _read(path)
    got = [(r["total"], r["state_total"], r["beneficiary_contribution"]) for r in result.records]
    assert got == [(601.0, 200.0, 401.0), (1200.0, 150.0, 1050.0)]
    assert not [i for i in result.issues if i.severity == "error"]


def test_one_sheet_per_year_and_a_title_merged_down_over_beneficiaries(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for n, year in enumerate((2018, 2022)):
        sheet = book.active if n == 0 else book.create_sheet()
        sheet.title = str(year)
        sheet.append([f"DANH SÁCH ĐỀ ÁN KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM {year}"])
        sheet.append(["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí khuyến công hỗ trợ"])
        sheet.append([1, f"Đào tạo nghề đan mây tre lá {year}", "DNTN Lộc Thu", 24])
        sheet.append([None, None, "DNTN Việt Tuấn", 24])
        sheet.merge_cells("B3:B4")
    path = tmp_path / "phu_yen_theo_nam.xlsx"
    book.save(path)
    got = [(r["year"], r["title"], r["beneficiary"]) for r in _read(path).records]
    assert got == [(2018, "Đào tạo nghề đan mây tre lá 2018", "DNTN Lộc Thu"),
                   (2018, "Đào tạo nghề đan mây tre lá 2018", "DNTN Việt Tuấn"),
                   (2022, "Đào tạo nghề đan mây tre lá 2022", "DNTN Lộc Thu"),
                   (2022, "Đào tạo nghề đan mây tre lá 2022", "DNTN Việt Tuấn")]


@pytest.mark.parametrize("lines, year", [
    (["Số: /BC-TTKC An Giang, ngày    tháng    năm 2019", "Kết quả hoạt động khuyến công năm 2018"], 2018),
    (["KẾ HOẠCH", "Thực hiện các đề án khuyến công năm 2019", "II. ĐÁNH GIÁ KẾT QUẢ NĂM 2018"], 2019),
    (["Thực hiện Quyết định số 12/QĐ-UBND năm 2017", "KẾ HOẠCH KHUYẾN CÔNG NĂM 2019"], 2019),
    (["Số: /BC-SCT Thái Bình, ngày tháng năm 2022", "Kết quả hoạt động khuyến công giai đoạn 2012 - 2022"], None),
])
def test_the_year_a_title_is_about(lines, year) -> None:
    from khuyencong.ingest.doc_facts import title_facts

    facts = title_facts([(line, None) for line in lines], "title", "bao_cao.docx")
    assert (facts.year.value if facts.year else None) == year


def test_the_beneficiarys_own_line_under_a_project(tmp_path: Path) -> None:
    path = _csv(tmp_path, "quang_nam_2023.csv", [
        "STT,\"Tên đề án / Đơn vị thụ hưởng, địa chỉ\",Kinh phí hỗ trợ",
        "I,KHUYẾN CÔNG QUỐC GIA,600",
        "1,Hỗ trợ ứng dụng máy làm nhang tự động,300",
        ",\"HTX Trầm hương Nông Sơn - xã Quế Lộc, huyện Nông Sơn\",",
        "2,Hỗ trợ ứng dụng máy CNC đục tượng,300",
        ",Công ty TNHH Thành Nhật Minh - thị trấn Trung Phước,",
    ])
    result = _read(path)
    got = [(r["beneficiary"], r["funding_source"]) for r in result.records]
    assert got == [("HTX Trầm hương Nông Sơn", "KCQG"), ("Công ty TNHH Thành Nhật Minh", "KCQG")]
    assert _kinds(result)[4] == _kinds(result)[6] == "continuation"


def test_a_sentence_in_the_first_column_under_the_table_is_a_note(tmp_path: Path) -> None:
    path = _csv(tmp_path, "soc_trang_2023.csv", [
        "STT,Nội dung,Vốn tự có của cơ sở,Ngân sách nhà nước hỗ trợ (NSNN),Tổng cộng",
        "1,Đề án khuyến công quốc gia,3422,2620,6042",
        ",Tổng cộng,3422,2620,6042",
        "\"NSNN: kinh phí khuyến công quốc gia, khuyến công địa phương; vốn tự có: phần đóng góp của đơn vị.\",,,,",
    ])
    result = _read(path)
    assert [r["state_total"] for r in result.records] == [2620.0]
    assert _kinds(result)[4] == "note"


@pytest.mark.parametrize("unit, cells, read", [
    ("ĐVT: triệu đồng", ["8,850", "1,400"], [8850.0, 1400.0]),    # whole triệu: ',' groups thousands
    ("ĐVT: tỷ đồng", ["8,850", "1,400"], [8.85, 1.4]),           # tỷ đồng print decimals
    ("ĐVT: triệu đồng", ["8,850", "12,5"], [8.85, 12.5]),         # one decimal comma decides for the table
    ("ĐVT: tỷ đồng", ["1,250,000", "1,400"], [1250000.0, 1400.0]),  # only English reads 1,250,000
])
def test_a_tables_number_convention(tmp_path: Path, unit, cells, read) -> None:
    path = _csv(tmp_path, "lam_dong_2017.csv", [
        f"KẾ HOẠCH KHUYẾN CÔNG NĂM 2017 ({unit}),,",
        "STT,Nội dung,Kinh phí hỗ trợ",
        f"1,Khuyến công địa phương,\"{cells[0]}\"",
        f"2,Khuyến công quốc gia,\"{cells[1]}\"",
    ])
    result = _read(path)
    factor = 1000.0 if "tỷ" in unit else 1.0
    assert [r["state_total"] for r in result.records] == [pytest.approx(v * factor) for v in read]
    told = [i for i in result.issues if i.kind == "number_convention"]
    assert bool(told) == (read[1] == 1400.0)


def test_programmes_named_in_titles_status_remarks_and_both_programmes_in_one_cell(tmp_path: Path) -> None:
    path = _csv(tmp_path, "gia_lai_2022.csv", [
        "KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH KHUYẾN CÔNG NĂM 2022,,,,",
        "STT,Nội dung,Nguồn kinh phí,Kinh phí khuyến công hỗ trợ,Kết quả thực hiện",
        "1,Chương trình khuyến công quốc gia năm 2022,,1.600,Đã thực hiện",
        "2,Đề án khuyến công địa phương năm 2022 không triển khai,,935,Không thực hiện; trả lại nguồn ngân sách",
        "3,Hỗ trợ máy móc cho 05 cơ sở,Khuyến công quốc gia và khuyến công địa phương,440,Đã thực hiện",
    ])
    result = _read(path)
    got = [(r["funding_source"], r["status_code"]) for r in result.records]
    assert got == [("KCQG", "completed"), ("KCDP", "stopped"), (None, "completed")]
    assert [(i.row, i.kind, i.severity) for i in result.issues if i.kind.startswith(("both", "unknown"))] == [
        (5, "both_programmes_unsplit", "warning")]


def test_page_subtotals_and_carried_rows_are_not_projects(tmp_path: Path) -> None:
    path = _csv(tmp_path, "quang_ninh.csv", [
        "STT,Tên đề án,Đơn vị thụ hưởng,Năm,Kinh phí hỗ trợ",
        "1,Hỗ trợ xây dựng bể chứa nước mắm,Hộ ông Châu Quang Thu,2009,5",
        "2,Hỗ trợ xây dựng bể chứa nước mắm,09 hộ chế biến,2009,45",
        ",Cộng trang,,,50",
        ",Chuyển trang,,,50",
        "3,Hoàn thiện quy trình chưng cất nước mắm,Công ty CP Đại Yên,2009,90",
        ",Tổng cộng,,,140",
    ])
    result = _read(path)
    assert [r["state_total"] for r in result.records] == [5.0, 45.0, 90.0]
    assert not [i for i in result.issues if i.kind == "total_mismatch"]


def test_plan_and_realised_of_one_year_side_by_side(tmp_path: Path) -> None:
    path = _csv(tmp_path, "ca_nuoc_2016.csv", [
        "STT,Nội dung,Kế hoạch năm 2016,Thực hiện 9 tháng năm 2016,Ghi chú",
        ",,Kinh phí (tỷ đồng),Kinh phí (tỷ đồng),",
        "1,Khuyến công quốc gia,\"103,7\",\"90,1\",",
        "2,Khuyến công địa phương,\"127,2\",,",
    ])
    result = _read(path)
    assert [(r["funding_source"], r["state_total"]) for r in result.records] == [("KCQG", 90100.0), ("KCDP", None)]


def test_a_units_row_under_the_header_and_a_decision_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "dai_tu_2016_2017.csv", [
        "KẾT QUẢ HỖ TRỢ KHUYẾN CÔNG QUỐC GIA TRÊN ĐỊA BÀN HUYỆN ĐẠI TỪ NĂM 2017,,,,",
        "STT,Nguồn kinh phí,Quyết định giao kinh phí,Kinh phí hỗ trợ,Tỷ trọng",
        ",,,(triệu đồng),(%)",
        "1,Chương trình khuyến công quốc gia,4768/QĐ-BCT ngày 22/12/2017,395,\"39,7\"",
        "2,Chương trình khuyến công địa phương,,600,\"60,3\"",
    ])
    result = _read(path)
    assert [(r["funding_source"], r["state_total"]) for r in result.records] == [("KCQG", 395.0), ("KCDP", 600.0)]
    assert not [i for i in result.issues if i.severity == "error"]


def test_a_word_table_split_at_a_page_break_and_a_place_line_in_the_title_cell(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("DANH SÁCH HỖ TRỢ KHUYẾN CÔNG HUYỆN BỐ TRẠCH NĂM 2013")
    header = ["STT", "Nội dung hỗ trợ", "Đối tượng được hỗ trợ", "Nguồn kinh phí", "Kinh phí hỗ trợ"]
    first = document.add_table(rows=2, cols=5)
    for cell, text in zip(first.rows[0].cells, header):
        cell.text = text
    for cell, text in zip(first.rows[1].cells, ["1", "Hỗ trợ máy chế biến gỗ\nĐịa điểm: xã Hoàn Lão", "Cơ sở A",
                                                 "Ngân sách huyện (khuyến công huyện)", "100"]):
        cell.text = text
    second = document.add_table(rows=2, cols=5)
    for cell, text in zip(second.rows[0].cells, ["2", "Hỗ trợ tham gia hội chợ", "Cơ sở B", "", "150"]):
        cell.text = text
    for cell, text in zip(second.rows[1].cells, ["", "Tổng cộng", "", "", "250"]):
        cell.text = text
    path = tmp_path / "bo_trach_2013.docx"
    document.save(path)
    result = _read(path)
    got = [(r["title"], r["funding_source"], r["state_total"]) for r in result.records]
    assert got == [("Hỗ trợ máy chế biến gỗ", "KCDP", 100.0), ("Hỗ trợ tham gia hội chợ", None, 150.0)]
    assert not [i for i in result.issues if i.severity == "error"]


def test_a_row_names_its_year_in_its_title_when_nothing_else_does(tmp_path: Path) -> None:
    path = _csv(tmp_path, "ha_tinh_2016_2020.csv", [
        "ĐỀ ÁN KHUYẾN CÔNG TỈNH HÀ TĨNH GIAI ĐOẠN 2016 - 2020,,",
        "STT,Tên đề án,Kinh phí hỗ trợ (*)",
        "1,Mô hình trình diễn sản xuất gạch không nung,1.000",
        "2,Các đề án khuyến công địa phương đợt 2 năm 2018,",
        ",,",
        "(*) Kinh phí khuyến công hỗ trợ,,",
    ])
    result = _read(path)
    assert [(r["year"], r["state_total"]) for r in result.records] == [(None, 1000.0), (2018, None)]
