"""``published add``: accepted rows appended as the file writes them; duplicates refused; same_as linked."""
from __future__ import annotations

import pytest
import yaml

from khuyencong import cli
from khuyencong.ingest import published
from khuyencong.ingest.published_add import ReviewFileError, add_reviewed

HEADER = ",".join(published.REQUIRED_COLUMNS)
# Invented rows in the record's style (one quoted figure, one without a url).
EXISTING = (
    f"{HEADER}\n"
    "PY-2024-total_funding,Phú Yên,province,2024,2024,total_funding,Tổng kinh phí khuyến công,"
    'Total industrial-extension funding,plan,total,"4,2 tỷ đồng",,,https://example.vn/a,Báo A,Tiêu đề A,2024-03-15,\n'
    "PY-2024-projects,Phú Yên,province,2024,2024,projects,Số đề án khuyến công,Industrial-extension projects,"
    "plan,total,20 đề án,,,,Báo A in,,2024-03,2026-12-01\n"
)


def _candidate(figure, evidence, **fields):
    base = {"figure": figure, "indicator": "total_funding", "indicator_vi": "Tổng kinh phí khuyến công",
            "indicator_en": "Total industrial-extension funding", "area": "Phú Yên", "area_type": "province",
            "period_start": 2024, "period_end": 2024, "period_text": "năm 2024", "kind": "plan", "cumulative": False,
            "funding_source": "total", "confidence": 0.7, "figure_id": "PY-2024-total_funding", "note": "",
            "evidence": evidence, "accept": True}
    return {**base, **fields}


def _review(tmp_path, candidates, url="https://example.vn/b", name="b.html.figures.yml"):
    path = tmp_path / name
    source = {"url": url, "outlet": "Báo B", "title": "Tiêu đề B", "published": "2024-03-16",
              "retrieved": "2026-12-08", "file": "b.html"}
    path.write_text(yaml.safe_dump({"source": source, "candidates": candidates}, allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.fixture
def record(tmp_path):
    path = tmp_path / "published_figures.csv"
    path.write_bytes(EXISTING.encode("utf-8"))
    return path


def test_accepted_rows_are_appended_and_linked(tmp_path, record):
    review = _review(tmp_path, [
        _candidate("4,2 tỷ đồng", "Tỉnh dành 4,2 tỷ đồng cho khuyến công."),
        _candidate("1,5 tỷ đồng", "Kinh phí quốc gia 1,5 tỷ đồng.", indicator="national_funding",
                   funding_source="national", figure_id="PY-2024-national_funding", accept=False),
        _candidate("12 cơ sở", "Hỗ trợ 12 cơ sở.", indicator="establishments_supported", accept=None),
    ])
    result = add_reviewed(review, record)
    assert (result.added, result.rejected, result.undecided) == (["PY-2024-total_funding_2"], 1, 1)
    assert result.linked == {"PY-2024-total_funding_2": "PY-2024-total_funding"}
    data = record.read_bytes().decode("utf-8")
    assert data.startswith(EXISTING)  # existing lines byte for byte
    new_line = data[len(EXISTING):]
    assert new_line.count("\n") == 1 and '"4,2 tỷ đồng"' in new_line and "Tỉnh dành" not in new_line
    df = published.load_published(record)
    row = df.set_index("figure_id").loc["PY-2024-total_funding_2"]
    assert (row["same_as"], row["url"], row["value"]) == ("PY-2024-total_funding", "https://example.vn/b", 4200.0)


def test_a_duplicate_from_the_same_source_is_refused(tmp_path, record):
    review = _review(tmp_path, [_candidate("4,2 tỷ đồng", "Dành 4,2 tỷ đồng.")], url="https://example.vn/a")
    with pytest.raises(ReviewFileError, match="already in the record as PY-2024-total_funding"):
        add_reviewed(review, record)
    assert record.read_text(encoding="utf-8") == EXISTING


def test_an_altered_figure_or_missing_source_is_refused(tmp_path, record):
    altered = _review(tmp_path, [_candidate("20 chương trình", "Phê duyệt 20 chương trình, đề án.")])
    assert add_reviewed(altered, record).added  # a prefix is still printed text
    changed = _review(tmp_path, [_candidate("21 chương trình", "Phê duyệt 20 chương trình, đề án.")], name="c.yml")
    with pytest.raises(ReviewFileError, match="not in its evidence sentence"):
        add_reviewed(changed, record)
    unsourced = _review(tmp_path, [_candidate("3 tỷ đồng", "Chi 3 tỷ đồng.")], url="", name="d.yml")
    doc = yaml.safe_load(unsourced.read_text(encoding="utf-8"))
    doc["source"].update(outlet="", published="", retrieved="")
    unsourced.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReviewFileError, match="fill the source"):
        add_reviewed(unsourced, record)


def test_a_row_the_record_cannot_read_leaves_the_file_untouched(tmp_path, record):
    review = _review(tmp_path, [_candidate("4,2 tỷ đồng", "Dành 4,2 tỷ đồng.", area="Xứ Không Có")])
    with pytest.raises(published.PublishedFigureError):
        add_reviewed(review, record)
    assert record.read_text(encoding="utf-8") == EXISTING
    assert not list(tmp_path.glob(".published_figures.csv.*"))


def test_extract_review_add_from_the_command_line(tmp_path, monkeypatch):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    record = tmp_path / "data" / "raw" / "published_figures.csv"
    record.write_bytes(EXISTING.encode("utf-8"))
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    page = tmp_path / "b.html"
    page.write_text('<html><head><meta property="og:site_name" content="Báo B"></head><body>'
                    "<p>Năm 2024, tỉnh Phú Yên phê duyệt kế hoạch khuyến công với tổng kinh phí 4,2 tỷ đồng "
                    "cho 18 đề án.</p></body></html>", encoding="utf-8")
    assert cli.main(["extract", str(page)]) == 0
    review = tmp_path / "b.html.figures.yml"
    doc = yaml.safe_load(review.read_text(encoding="utf-8"))
    assert [c["figure"] for c in doc["candidates"]] == ["4,2 tỷ đồng", "18 đề án"]
    assert doc["source"]["outlet"] == "Báo B" and doc["source"]["url"] == ""
    doc["source"]["published"] = "2024-03-16"  # the reviewer fills what the page did not say
    for c in doc["candidates"]:
        c["accept"] = True
    review.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert cli.main(["published", "add", str(review)]) == 0
    df = published.load_published(record)
    assert df["figure"].tolist()[-2:] == ["4,2 tỷ đồng", "18 đề án"]
    # 18 vs 20 đề án from another source: linked too, and listed by published.conflicts()
    assert df["same_as"].tolist()[-2:] == ["PY-2024-total_funding", "PY-2024-projects"]
    assert set(published.conflicts(df)["figure"]) == {"20 đề án", "18 đề án"}
    assert cli.main(["published", "add", str(review)]) == 2  # the same rows again: refused
