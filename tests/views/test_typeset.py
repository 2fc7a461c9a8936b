"""The brief's PDF, typeset by Typst from the document a real brief run saved (notebook 90 on the
demo set): at most three A4 pages, every index number of the province on page 1, one language, no
code words, the data status on every page, the Word file with the same numbers, stable bytes."""
from __future__ import annotations

import re

import docx
import pdfplumber
import pytest

from khuyencong import paths
from khuyencong.analysis import headlines
from khuyencong.core import provinces
from khuyencong.runner import notebooks, site
from khuyencong.views import brief_doc, docx_brief, typeset

#: (province, language): Đắk Lắk has the most published figures of any 2025 province (the longest brief).
BRIEFS = [("Cần Thơ", "vi"), ("Đắk Lắk", "en")]
#: Function words of each language: a sentence of the other language carries some of them.
OTHER_WORDS = {"vi": {"the", "and", "of", "with", "not", "for", "from", "than", "this", "is", "are", "per"},
               "en": {"của", "và", "không", "các", "được", "những", "cho", "với", "trong", "theo", "số", "liệu"}}
CODE_WORDS = re.compile(r"khuyencong\.|data/|\.csv\b|\.py\b|\.parquet\b|\b[A-Z]{2,3}-\d{4}(?:-\d{4})?-[a-z_]+")


@pytest.fixture(scope="module", params=BRIEFS, ids=[lang for _, lang in BRIEFS])
def run(request, tmp_path_factory):
    """(folder, PDF path, Word path) of a brief of :data:`BRIEFS`."""
    if not (paths.processed_dir() / "register.parquet").exists():
        pytest.skip("data/processed is empty: run `make data` first (make test does)")
    province, lang = request.param
    folder = tmp_path_factory.mktemp(f"brief-{lang}")
    notebooks.execute(paths.notebooks_dir() / "90_province_report.ipynb", folder / "90_province_report.ipynb",
                      {"province": province, "lang": lang, "output_dir": str(folder)})
    pdf = typeset.pdf(folder, folder / "brief.pdf")
    word = docx_brief.save(docx_brief.from_run(folder), folder / "brief.docx")
    return folder, pdf, word


def _pages(pdf) -> list[str]:
    with pdfplumber.open(pdf) as opened:
        return [page.extract_text() or "" for page in opened.pages]


def test_three_pages_at_most_with_the_title_and_the_status_on_each(run):
    folder, pdf, _ = run
    doc = brief_doc.load(folder)
    pages = _pages(pdf)
    assert 1 <= len(pages) <= 3
    assert all(doc.mark in page for page in pages)
    with pdfplumber.open(pdf) as opened:
        assert opened.metadata["Title"] == doc.title and "CreationDate" not in opened.metadata
        assert opened.pages[0].width == pytest.approx(595.3, abs=1)  # A4
        fonts = {c["fontname"].split("+")[-1] for c in opened.pages[0].chars}
    assert fonts <= {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"}, fonts


def test_every_number_of_the_index_row_is_on_page_1(run):
    folder, pdf, _ = run
    doc = brief_doc.load(folder)
    lang = doc.lang
    code = provinces.resolve(doc.areas[0], "2025")[0].code
    numbers, _ = headlines.headline_numbers("2025", 2012, 2024)
    page1 = _pages(pdf)[0]
    shown = 0
    for column in headlines.HEADLINES:
        for name in (column, *headlines.INTERVALS[column]):
            value = numbers.loc[code, name]
            if value == value:  # not NaN
                assert site._fmt(column, value, lang) in page1, (name, site._fmt(column, value, lang))
                shown += 1
    assert shown >= 9  # the demo set has every headline of the province, most with intervals


def test_one_language_and_no_code_words(run):
    folder, pdf, _ = run
    doc = brief_doc.load(folder)
    text = "\n".join(_pages(pdf))
    quoted = {w.lower() for r in doc.references for w in re.findall(r"\w+", f"{r.outlet} {r.title} {r.what}")}
    words = {w.lower() for w in re.findall(r"\w+", text)} - quoted  # article titles stay as printed
    assert not words & OTHER_WORDS[doc.lang], words & OTHER_WORDS[doc.lang]
    assert not CODE_WORDS.search(text), CODE_WORDS.search(text)
    assert "Notebook" not in text


def test_the_word_file_carries_the_same_numbers_and_the_mark(run):
    folder, pdf, word = run
    doc = brief_doc.load(folder)
    opened = docx.Document(word)
    cells = "\n".join(c.text for row in opened.tables[0].rows for c in row.cells)
    assert doc.numbers() and all(number in cells for number in doc.numbers())
    page_text = "\n".join(_pages(pdf))
    assert all(number in page_text for number in doc.numbers())
    assert all(doc.mark in part.paragraphs[0].text for s in opened.sections for part in (s.header, s.footer))


def test_same_document_same_bytes(run):
    folder, pdf, _ = run
    assert typeset.pdf_bytes(brief_doc.load(folder), folder) == pdf.read_bytes()
