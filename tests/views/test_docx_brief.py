"""The Word brief: the notebook's headline numbers and texts, Vietnamese fonts, stable bytes."""
import docx
import numpy as np
import pandas as pd

from khuyencong.analysis import selection
from khuyencong.core import i18n
from khuyencong.views import brief, brief_text, docx_brief


def _headline():
    rows = [{"measure": "cofunding_ratio", "level": lvl, "area_code": code, "area": area, "value": v,
             "low": v - 0.2, "high": v + 0.2, "n": 40, "n_comparison": np.nan, "truth": np.nan, "note": "",
             "unit": "VND per VND"}
            for lvl, code, area, v in (("province", "92", "Cần Thơ", 4.07), ("region", "MRD", "Đồng bằng sông Cửu Long", 3.9),
                                       ("country", "all", "Cả nước", 3.8))]
    return pd.DataFrame(rows, columns=list(brief.COLUMNS))


def test_headline_table_and_texts_match_the_notebook(tmp_path):
    sel = selection.select("Cần Thơ", 2012, 2024, "2025", "vi")
    headline = _headline()
    doc = docx_brief.build(headline, sel, "SYNTHETIC", caveats=["Lưu ý một."])
    path = docx_brief.save(doc, tmp_path / "b.docx")
    again = docx_brief.save(docx_brief.build(headline, sel, "SYNTHETIC", caveats=["Lưu ý một."]), tmp_path / "c.docx")
    assert path.read_bytes() == again.read_bytes()
    opened = docx.Document(path)
    shown = brief_text.headline_table(headline, "vi", synthetic=True)
    cells = [[c.text for c in row.cells] for row in opened.tables[0].rows]
    assert cells[0] == list(shown.columns) and cells[1] == list(shown.iloc[0].astype(str))
    text = "\n".join(p.text for p in opened.paragraphs)
    assert "Bản tin khuyến công: Cần Thơ" in text and "Lưu ý một." in text
    assert brief_text.reading(headline, "vi", "SYNTHETIC")[1].replace("**", "") in text
    fonts = opened.styles["Normal"].element.rPr.rFonts
    assert {fonts.get(f"{{{fonts.nsmap['w']}}}{k}") for k in ("ascii", "eastAsia", "cs")} == {"DejaVu Sans"}


def test_read_headlines_round_trip(tmp_path):
    headline = _headline()
    headline.to_csv(tmp_path / "h.csv", index=False, encoding="utf-8-sig")
    back = docx_brief.read_headlines(tmp_path / "h.csv")
    pd.testing.assert_frame_equal(back[["area_code", "value", "note"]], headline[["area_code", "value", "note"]])


def test_the_word_brief_says_the_seed_the_notebook_used(tmp_path, monkeypatch):
    """Issue 19: the Word file said "seed 0" where the HTML and PDF said 20120521 (the notebook's default)."""
    from khuyencong.analysis import area_tables

    _headline().to_csv(tmp_path / f"{docx_brief.HEADLINES}.csv", index=False, encoding="utf-8-sig")
    monkeypatch.setattr(brief, "rejected_counts", lambda sel, processed_dir: None)
    parameters = {"province": "Cần Thơ", "start_year": 2012, "end_year": 2024, "boundaries": "2025", "lang": "en"}
    doc = docx_brief.from_run(tmp_path, parameters, "SYNTHETIC")  # the run kept the notebook's seed and draws
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{area_tables.SEED}" in text and "seed 0" not in text and f"{area_tables.N_BOOT}" in text


def test_every_page_of_the_word_brief_carries_the_data_status():
    """Issue 19: a printed Word page carried no SYNTHETIC mark (empty header and footer)."""
    sel = selection.select("Cần Thơ", 2012, 2024, "2025", "vi")
    for status, kind in (("SYNTHETIC", "synthetic"), ("REAL", "real")):
        doc = docx_brief.build(_headline(), sel, status)
        mark = i18n.t(f"br_status_{kind}_title", "vi")
        assert all(mark in part.paragraphs[0].text for s in doc.sections for part in (s.header, s.footer))
