"""The Word brief: the notebook's headline numbers and texts, Vietnamese fonts, stable bytes."""
import docx
import numpy as np
import pandas as pd

from khuyencong.analysis import selection
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
