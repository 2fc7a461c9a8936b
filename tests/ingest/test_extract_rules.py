"""Finding figures in a sentence: exact spans, units, qualifiers, and what is not a figure (invented sentences)."""
from __future__ import annotations

import pytest

from khuyencong.ingest.extract_rules import find_figures


def texts(sentence: str) -> list[str]:
    return [f.text for f in find_figures(sentence)]


@pytest.mark.parametrize("sentence, expected", [
    ("Tỉnh chi gần 6,7 tỷ đồng cho 12 đề án.", ["gần 6,7 tỷ đồng", "12 đề án"]),
    ("Mức hỗ trợ từ 15 - 40% chi phí.", ["từ 15 - 40%"]),
    ("Kế hoạch dành trên 10 tỷ cho khuyến công.", ["trên 10 tỷ"]),
    ("Phê duyệt 20 chương trình, đề án với 2.035 triệu đồng.", ["20 chương trình, đề án", "2.035 triệu đồng"]),
    ("Hủy 02 Đề án do cơ sở không đủ vốn.", ["02 Đề án"]),
    ("Đã thực hiện 7/9 nội dung của chương trình.", ["7/9 nội dung"]),
    ("Trích khoảng 3,5 tỷ/năm cho hoạt động này.", ["khoảng 3,5 tỷ/năm"]),
    ("Hỗ trợ 3 - 5 triệu đồng/người/tháng cho học viên.", ["3 - 5 triệu đồng/người/tháng"]),
    ("Đề án từ 10 tỷ đồng trở lên do Bộ phê duyệt.", ["từ 10 tỷ đồng trở lên"]),
])
def test_figures_are_found_exactly_as_printed(sentence, expected):
    assert texts(sentence) == expected
    for found in find_figures(sentence):
        assert sentence[found.start:found.end] == found.text


def test_what_is_not_a_figure():
    assert texts("Theo Nghị định số 45/2012/NĐ-CP ngày 21/5/2012 và Quyết định 1288/QĐ-TTg năm 2014.") == []
    assert texts("Năm 2017 chương trình khuyến công thành phố tiếp tục.") == []
    assert texts("Dân số khoảng 870 nghìn người; máy công suất 3 - 3,5 tấn/giờ.") == []
    assert texts("Thêu thổ cẩm là 1 trong 8 nhiệm vụ của chương trình.") == []


def test_a_leverage_ratio_keeps_only_its_second_term():
    assert texts("Cứ 1 đồng vốn khuyến công thu hút được gần 20 đồng vốn đối ứng.") == ["gần 20 đồng"]


def test_parsed_amounts():
    (money, count) = find_figures("Tổng kinh phí hơn 3 tỷ đồng cho 17 đề án.")
    assert (money.amount.value, money.amount.unit, money.amount.qualifier) == (3000.0, "million VND", "over")
    assert (count.amount.value, count.amount.noun) == (17.0, "đề án")
    (part,) = find_figures("Hoàn thành 7/9 nội dung.")
    assert (part.amount.value, part.amount.of) == (7.0, 9.0)
