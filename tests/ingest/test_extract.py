"""``extract`` on an invented saved page: candidates, their fields, the review file."""
from __future__ import annotations

import yaml

from khuyencong.ingest.extract import extract_page, review_path, sentences, write_review
from khuyencong.ingest.page_text import Page, read_page

# Invented article (no sentence of a real page): one province, one year, both funding tiers.
PAGE_HTML = """<!doctype html><html><head>
<meta property="og:title" content="Phú Yên dành 4,2 tỷ đồng cho khuyến công năm 2024">
<meta property="og:site_name" content="Báo Thử Nghiệm">
<meta property="og:url" content="https://example.vn/phu-yen-khuyen-cong-2024.html">
<meta property="article:published_time" content="2024-03-15T08:00:00+07:00">
</head><body>
<h1>Phú Yên dành 4,2 tỷ đồng cho khuyến công năm 2024</h1>
<p>Năm 2024, UBND tỉnh Phú Yên phê duyệt kế hoạch khuyến công với tổng kinh phí 4,2 tỷ đồng cho 20 chương trình, đề án.
Trong đó, kinh phí khuyến công quốc gia là 1,5 tỷ đồng; kinh phí khuyến công địa phương gần 2,7 tỷ đồng.</p>
<p>Từ năm 2012 đến nay, tỉnh đã hỗ trợ 35 cơ sở công nghiệp nông thôn ứng dụng máy móc thiết bị.</p>
<p>Trong 6 tháng đầu năm 2023, Trung tâm đã mở 4 lớp đào tạo nghề cho 120 lao động.</p>
<p>Đến năm 2025, tỉnh phấn đấu có thêm 10 sản phẩm công nghiệp nông thôn tiêu biểu.</p>
<p>Dân số của tỉnh khoảng 870 nghìn người; tổng sản phẩm trên địa bàn tăng 6,2%.</p>
</body></html>"""


def _page(tmp_path):
    path = tmp_path / "phu-yen.html"
    path.write_text(PAGE_HTML, encoding="utf-8")
    return path, read_page(path)


def test_candidates_fields(tmp_path):
    _, page = _page(tmp_path)
    by_figure = {c.figure: c for c in extract_page(page)}
    assert list(by_figure) == ["4,2 tỷ đồng", "20 chương trình, đề án", "1,5 tỷ đồng", "gần 2,7 tỷ đồng",
                               "35 cơ sở", "4 lớp", "120 lao động", "10 sản phẩm"]
    total = by_figure["4,2 tỷ đồng"]
    assert (total.indicator, total.kind, total.funding_source, total.area, total.period_start) == (
        "total_funding", "plan", "total", "Phú Yên", 2024)
    assert total.indicator_vi and total.indicator_en and total.accept is None
    assert by_figure["1,5 tỷ đồng"].indicator == "national_funding"
    assert (by_figure["gần 2,7 tỷ đồng"].indicator, by_figure["gần 2,7 tỷ đồng"].funding_source) == (
        "local_funding", "local")
    assert by_figure["20 chương trình, đề án"].indicator == "projects"
    since = by_figure["35 cơ sở"]
    assert (since.indicator, since.period_start, since.period_end, since.cumulative) == (
        "establishments_equipment", 2012, 2024, True)
    h1 = by_figure["4 lớp"]
    assert (h1.indicator, h1.period_start, h1.figure_id) == ("training_classes", 2023, "PY-2023H1-training_classes")
    assert by_figure["120 lao động"].indicator == "trainees_vocational"
    target = by_figure["10 sản phẩm"]
    assert (target.kind, target.period_end) == ("target", 2025)


def test_every_figure_is_a_substring_of_its_evidence_and_page(tmp_path):
    _, page = _page(tmp_path)
    for c in extract_page(page):
        assert c.figure in c.evidence and c.figure in page.text


def test_not_about_khuyen_cong_keeps_only_growth_indicators():
    page = Page("Năm 2023, chỉ số sản xuất công nghiệp (IIP) của tỉnh Bình Định tăng 9,1%; GRDP tăng 7,2%; "
                "dân số đạt 1,5 triệu người; tỉnh có 12 cụm công nghiệp.", published="2024-01-05")
    found = [(c.figure, c.indicator, c.area) for c in extract_page(page)]
    assert found == [("9,1%", "ipi_growth", "Bình Định")]


def test_sentences_keep_offsets():
    text = "Câu một có 3 đề án. Câu hai!\nDòng hai; vế sau."
    for offset, sentence in sentences(text):
        assert text[offset:offset + len(sentence)] == sentence
    assert [s for _, s in sentences(text)] == ["Câu một có 3 đề án.", "Câu hai!", "Dòng hai;", "vế sau."]


def test_review_file(tmp_path):
    path, page = _page(tmp_path)
    out = write_review(path, page, extract_page(page))
    assert out == review_path(path) == tmp_path / "phu-yen.html.figures.yml"
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["source"]["url"] == "https://example.vn/phu-yen-khuyen-cong-2024.html"
    assert doc["source"]["published"] == "2024-03-15" and doc["source"]["retrieved"]
    assert all(c["accept"] is None and c["figure"] in c["evidence"] for c in doc["candidates"])
