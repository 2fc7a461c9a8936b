"""The README's extract → review → add route on a saved page carrying a real article's figures
(tests/fixtures/pages/: the article's facts and metadata, our own sentences)."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from khuyencong.cli import main

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
RECORD = Path(__file__).resolve().parents[2] / "data" / "raw" / "published_figures.csv"


def test_extract_finds_the_articles_figures_and_add_refuses_what_the_record_holds(tmp_path, monkeypatch, capsys):
    page = shutil.copy(PAGES / "bac_giang_2020_ke_hoach.html", tmp_path / "bai-bao.html")
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(RECORD, raw / "published_figures.csv")
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    assert main(["extract", str(page)]) == 0
    review = Path(f"{page}.figures.yml")
    found = yaml.safe_load(review.read_text(encoding="utf-8"))
    source = found["source"]
    assert source["url"].startswith("https://ipc1.gov.vn/bac-giang") and source["published"] == "2020-04-17"
    with RECORD.open(encoding="utf-8") as fh:
        gold = {r["figure"] for r in csv.DictReader(fh) if r["url"] == source["url"]}
    got = {c["figure"] for c in found["candidates"]}
    assert gold == {"4,5 tỷ đồng", "3 tỷ đồng", "630 triệu đồng", "440 triệu đồng"} == got
    assert all(c["area"] == "Bắc Giang" and (c["period_start"], c["period_end"]) == (2020, 2020)
               for c in found["candidates"])
    for c in found["candidates"]:
        c["accept"] = True
    review.write_text(yaml.safe_dump(found, allow_unicode=True), encoding="utf-8")
    before = (raw / "published_figures.csv").read_bytes()
    assert main(["published", "add", str(review)]) == 2  # the record already holds them from this source
    assert "already in the record as BG-2020-" in capsys.readouterr().err
    assert (raw / "published_figures.csv").read_bytes() == before  # nothing half-written
