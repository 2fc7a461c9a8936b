"""Running text and provenance of saved pages, text files, Word files (invented content)."""
from __future__ import annotations

import json

import pytest

from khuyencong.ingest.page_text import page_from_text, read_page

HTML = """<!doctype html><html><head>
<title>Tiêu đề trình duyệt | Báo Thử</title>
<meta property="og:title" content="Tỉnh Phú Yên dành 4,2 tỷ đồng cho khuyến công">
<meta property="og:site_name" content="Báo Thử Nghiệm">
<meta property="og:url" content="https://example.vn/khuyen-cong-2024.html">
<meta property="article:published_time" content="2024-03-15T08:00:00+07:00">
<script>var teaser = "99 đề án";</script>
</head><body><nav>Trang chủ · 12 đề án</nav>
<h1>Tỉnh Phú Yên dành 4,2 tỷ đồng cho khuyến công</h1>
<p>Năm 2024, tỉnh phê duyệt 20 chương trình, đề án.</p><p>Đoạn&nbsp;thứ hai.</p>
</body></html>"""


def test_html_text_and_meta(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    page = read_page(path)
    assert page.provenance() == {"url": "https://example.vn/khuyen-cong-2024.html", "outlet": "Báo Thử Nghiệm",
                                 "title": "Tỉnh Phú Yên dành 4,2 tỷ đồng cho khuyến công", "published": "2024-03-15"}
    assert "Năm 2024, tỉnh phê duyệt 20 chương trình, đề án." in page.text.splitlines()
    assert "99 đề án" not in page.text and "12 đề án" not in page.text  # scripts and navigation skipped


def test_json_ld_when_there_is_no_og_meta(tmp_path):
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Một tiêu đề",
          "datePublished": "2021-07-29", "publisher": {"@type": "Organization", "name": "Tạp chí Thử"},
          "mainEntityOfPage": {"@id": "https://example.vn/a"}}
    path = tmp_path / "ld.htm"
    path.write_text(f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>'
                    "<body><p>Nội dung.</p></body></html>", encoding="utf-8")
    page = read_page(path)
    assert (page.title, page.published, page.outlet, page.url) == (
        "Một tiêu đề", "2021-07-29", "Tạp chí Thử", "https://example.vn/a")


def test_unknown_provenance_stays_empty(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("Một câu. Câu khác.\n", encoding="utf-8")
    page = read_page(path)
    assert page.provenance() == {"url": "", "outlet": "", "title": "", "published": ""}
    assert page.text.startswith("Một câu.")


def test_text_with_a_stored_header():
    page = page_from_text("url: https://example.vn/b\noutlet: Báo B\ntitle: T\npublished: 2019-04-18\n"
                          "coverage: full\n---\nThân bài.\n")
    assert page.provenance()["published"] == "2019-04-18" and page.text == "Thân bài.\n"
    assert page.notes["coverage"] == "full"


def test_docx_paragraphs_and_tables(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Năm 2023, tỉnh hỗ trợ 15 cơ sở.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Đề án", "3 đề án"
    path = tmp_path / "report.docx"
    document.save(path)
    page = read_page(path)
    assert "Năm 2023, tỉnh hỗ trợ 15 cơ sở." in page.text and "Đề án | 3 đề án" in page.text


def test_text_pdf_lines_broken_inside_a_sentence_are_rejoined(tmp_path):
    typst = pytest.importorskip("typst")
    source = tmp_path / "report.typ"
    source.write_text("Năm 2023, tỉnh Phú Yên hỗ trợ 15 cơ sở công nghiệp nông thôn với kinh phí khuyến công "
                      "1,2 tỷ đồng.\n", encoding="utf-8")
    path = tmp_path / "report.pdf"
    path.write_bytes(typst.compile(str(source)))
    page = read_page(path)
    assert page.kind == "pdf" and "kinh phí khuyến công 1,2 tỷ đồng." in page.text


def test_extract_reads_word_and_pdf_within_the_limits(tmp_path, monkeypatch):
    """The readers' limits hold for `extract` too: a PDF over the page limit is refused before a page is read."""
    from khuyencong.limits import LimitExceeded

    pdf = tmp_path / "many.pdf"
    import typst

    pdf.write_bytes(typst.compile(b"#for i in range(5) [Trang #i #pagebreak()]"))
    monkeypatch.setenv("KHUYENCONG_MAX_PDF_PAGES", "3")
    with pytest.raises(LimitExceeded, match="KHUYENCONG_MAX_PDF_PAGES"):
        read_page(pdf)
