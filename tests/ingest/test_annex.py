"""Annex structure on small hand-written grids: header rows, title facts, sections, totals."""
from khuyencong.ingest import annex
from khuyencong.ingest.formats import Grid

ROWS = [
    ["UBND TỈNH BÌNH ĐỊNH", "", "", "", "", ""],
    ["KẾ HOẠCH KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM 2017", "", "", "", "", ""],
    ["Đơn vị tính: nghìn đồng", "", "", "", "", ""],
    ["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí", "", ""],
    ["", "", "", "Tổng", "KCĐP", "Đối ứng"],
    ["I", "Đào tạo nghề", "", 300, 200, 100],
    ["1", "Đào tạo nghề mây", "HTX A", 300, 200, 100],
    ["", "Cộng I", "", 300, 200, 100],
    ["", "", "", "", "", ""],
    ["", "Tổng cộng", "", 300, 200, 100],
]


def _layout():
    return annex.layout(Grid("Phụ lục", ROWS, [(3, 3, 3, 5)]), "x_2017.xlsx")


def test_two_row_header_under_a_merged_parent():
    lay = _layout()
    assert lay.header_rows == [4, 5]
    assert [(c.header, c.role) for c in lay.columns][3:] == [
        ("Kinh phí / Tổng", "total"), ("Kinh phí / KCĐP", "state_local"), ("Kinh phí / Đối ứng", "beneficiary_contribution")]


def test_title_rows_give_province_year_unit_and_programme():
    facts = _layout().facts
    assert (facts.province.value, facts.year.value, facts.unit.value, facts.funding_source.value) == (
        "Bình Định", 2017, "nghìn đồng", "KCDP")
    assert facts.province.row == 1


def test_rows_are_classified_and_linked():
    kinds = {r.row: (r.kind, r.covers) for r in _layout().rows}
    assert kinds[6] == ("section", [7]) and kinds[7][0] == "data"
    assert kinds[8] == ("subtotal", [7]) and kinds[9][0] == "blank" and kinds[10] == ("total", [7])
    data = next(r for r in _layout().rows if r.kind == "data")
    assert data.context == {"category": "Đào tạo nghề"}


def test_unknown_province_in_the_title_is_reported_not_guessed():
    lay = annex.layout(Grid("s", [["UBND TỈNH NAM TRUNG", "", ""], *[r[:3] for r in ROWS[3:]]]), "f.csv")
    assert lay.facts.province is None and lay.facts.province_unknown.value == "NAM TRUNG"


def test_cover_sheet_has_no_layout():
    assert annex.layout(Grid("Quyết định", [["QUYẾT ĐỊNH"], ["Điều 1. Phê duyệt ..."]]), "f.xlsx") is None


def test_section_headings_set_funding_province_or_category():
    assert annex.section_sets("KHUYẾN CÔNG QUỐC GIA") == {"funding_source": "KCQG"}
    assert annex.section_sets("Tỉnh Hà Giang") == {"province": "Hà Giang"}
    assert annex.section_sets("Tư vấn") == {"category": "Tư vấn"}
