"""HTML → A4 PDF with headless Chromium: diacritics, banner on every page, page numbers, stable bytes."""
import shutil

import pytest

from khuyencong.errors import EXIT_ENVIRONMENT, EnvironmentProblem
from khuyencong.runner import pdf

needs_browser = pytest.mark.skipif(not any(shutil.which(b) for b in pdf.BROWSERS), reason="no Chromium installed")


def test_missing_browser_is_an_environment_problem(monkeypatch):
    monkeypatch.setenv("KHUYENCONG_CHROMIUM", "no-such-browser-here")
    with pytest.raises(EnvironmentProblem) as info:
        pdf.browser()
    assert info.value.exit_code == EXIT_ENVIRONMENT


def test_print_html_drops_external_scripts_and_adds_page_style():
    html = '<html><head><script src="https://cdn.example/x.js"></script></head><body>x</body></html>'
    out = pdf.print_html(html, banner='DỮ LIỆU "MÔ PHỎNG"', footer="Cần Thơ")
    assert "cdn.example" not in out and "size: A4" in out and 'DỮ LIỆU \\"MÔ PHỎNG\\"' in out


@needs_browser
def test_pdf_text_pages_and_determinism(tmp_path):
    pdfplumber = pytest.importorskip("pdfplumber")
    body = "".join(f"<p>Đoạn {i}: Cần Thơ, Đắk Lắk, Thừa Thiên Huế — 1.234,5</p>" for i in range(120))
    page = tmp_path / "r.html"
    page.write_text(f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>", encoding="utf-8")
    a = pdf.html_to_pdf(page, tmp_path / "a.pdf", banner="DỮ LIỆU MÔ PHỎNG", footer="Bản tin", alert=True)
    b = pdf.html_to_pdf(page, tmp_path / "b.pdf", banner="DỮ LIỆU MÔ PHỎNG", footer="Bản tin", alert=True)
    assert a.read_bytes() == b.read_bytes()
    with pdfplumber.open(a) as doc:
        texts = [p.extract_text() for p in doc.pages]
    assert len(texts) > 1
    assert all("DỮ LIỆU MÔ PHỎNG" in t and f"{i} / {len(texts)}" in t for i, t in enumerate(texts, 1))
    assert "Thừa Thiên Huế" in texts[0]
