"""Every figure of the record is its page's text exactly as printed (issue 21), where the stored pages exist.

The stored texts of the cited pages live outside the project (``../shared/articles/dev``, never copied
here); without them these tests skip. A page counts only when its stored text is complete.
"""
from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest

from khuyencong import paths
from khuyencong.ingest.extract import sentences
from khuyencong.ingest.extract_rules import find_figures
from khuyencong.ingest.page_text import page_from_text

ARTICLES = (paths.shared_dir() or paths.project_root().parent / "shared") / "articles" / "dev"
pytestmark = pytest.mark.skipif(not (ARTICLES / "INDEX.csv").exists(), reason=f"{ARTICLES} absent")

#: Rows known not to match their page; fixing the record means removing them here.
KNOWN_NOT_PRINTED: set[str] = set()
#: Rows whose printed figure the figure finder reads shorter than the record, each for a reason:
KNOWN_SHORTENED = {
    "BDI-2016-projects_local",  # "20 chương trình đề án" printed without a comma: the finder stops at "chương trình"
    "DL-2016-2020-local_funding_annual",  # printed "khoảng 3,5 tỷ/năm": a rate on a bare "tỷ" the parser refuses
    "AG-2014-2020-establishments_equipment",  # an English-language page: "273 establishments"
}


def _rows_with_pages():
    index = {r["url"]: r for r in csv.DictReader((ARTICLES / "INDEX.csv").open(encoding="utf-8"))}
    with (paths.raw_dir() / "published_figures.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            entry = index.get(row["url"])
            if entry:
                page = page_from_text((ARTICLES / entry["file"]).read_text(encoding="utf-8"))
                text = unicodedata.normalize("NFC", page.title + "\n" + page.text)
                yield row, text, entry["coverage"].startswith("full")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_every_figure_is_a_substring_of_its_complete_page():
    not_printed = {row["figure_id"] for row, text, complete in _rows_with_pages()
                   if complete and _nfc(row["figure"]) not in text}
    assert not_printed == KNOWN_NOT_PRINTED, (
        f"new: {sorted(not_printed - KNOWN_NOT_PRINTED)}; fixed (remove from KNOWN_NOT_PRINTED): "
        f"{sorted(KNOWN_NOT_PRINTED - not_printed)}")


def test_every_figure_is_printed_in_full():
    shortened = set()
    for row, text, _ in _rows_with_pages():
        if _nfc(row["figure"]) in text:
            spans = {f.text for _, s in sentences(text) for f in find_figures(s)}
            if _nfc(row["figure"]) not in spans:
                shortened.add(row["figure_id"])
    assert shortened == KNOWN_SHORTENED, (
        f"new: {sorted(shortened - KNOWN_SHORTENED)}; fixed (remove from KNOWN_SHORTENED): "
        f"{sorted(KNOWN_SHORTENED - shortened)}")
