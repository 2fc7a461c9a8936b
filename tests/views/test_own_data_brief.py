"""A new user's route, from a fresh-clone-like copy: a province's own register, declared in
``data/raw/inputs.yml``, through ``khuyencong report`` to a regenerated brief (notebook 90).

The register is a real-looking annex (Hải Dương, 2013, with its reviewed mapping); the other tables
are declared ``none``. Hải Dương is one of the two former provinces of Hải Phòng (2025), so the brief
must say the register is REAL, which tables are missing, and that former Hải Phòng has no data.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from khuyencong.analysis import metrics
from khuyencong.cli import main
from khuyencong.core import i18n

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "annex_layouts"
REGISTER = "hai_duong_2013_ket_qua.xls"
RAW_KEPT = ("published_figures.csv", "published_figures_SOURCES.md", "provenance.yml", "official", "templates")
DECLARATION = f"""# our own register; no survey, plans or provincial statistics yet
register:
  - {REGISTER}
survey: none
plans: none
province_stats: none
"""


@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch) -> Path:
    """What a clone holds (raw inputs without the demo set, notebooks, reports.yml), nothing built."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_KEPT:
        source = ROOT / "data" / "raw" / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, raw / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copy(ROOT / "reports.yml", tmp_path / "reports.yml")
    (tmp_path / "data" / "processed").mkdir()
    (tmp_path / "reports").mkdir()
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_own_register_to_brief(fresh: Path, capsys) -> None:
    raw = fresh / "data" / "raw"
    for name in (REGISTER, f"{REGISTER}.mapping.yml"):  # the file and its reviewed mapping
        shutil.copy(CORPUS / name, raw / name)
    (raw / "inputs.yml").write_text(DECLARATION, encoding="utf-8")

    code = main(["report", "--province", "Hải Phòng", "--notebook", "90_province_report", "--lang", "vi",
                 "--formats", "html,pdf,docx"])  # the brief's PDF is typeset: no browser
    out = capsys.readouterr().out
    assert code == 0, out
    assert "register: REAL, 1 file(s), 6 rows kept, 0 rejected" in out
    assert "survey: none declared" in out and "SYNTHETIC" not in out

    register = pd.read_parquet(fresh / "data" / "processed" / "register.parquet")
    spent = register.loc[register["status"].isin(metrics.SPENT_STATUSES)]
    ratio = spent["beneficiary_contribution"].sum() / spent["state_support"].sum()

    folder = fresh / "reports" / "vi" / "hai-phong" / "90_province_report"
    headline = pd.read_csv(folder / "90_brief_headlines.csv")
    own = headline.loc[(headline["measure"] == "cofunding_ratio") & (headline["level"] == "province")].iloc[0]
    assert int(own["n"]) == len(spent) > 0  # the register's projects, none from elsewhere
    assert own["value"] == pytest.approx(ratio)

    html = (folder / "90_province_report.html").read_text(encoding="utf-8")
    assert i18n.fmt_number(round(ratio, 2), "vi", 2) in html
    assert "sổ đề án: REAL" in html
    assert "Không có số liệu khảo sát cơ sở, kế hoạch, thống kê tỉnh" in html
    assert "không tính được vì không có số liệu khảo sát cơ sở" in html  # the reading and the table say why
    assert "tỉnh cũ Hải Phòng (nay thuộc Hải Phòng)" in html and "chỉ gồm Hải Dương" in html  # caveats
    assert "MÔ PHỎNG" not in html and "SYNTHETIC" not in html

    # Issue 19: the PDF and Word brief make no comparison they cannot make and claim no table they did not use
    import docx
    import pdfplumber

    with pdfplumber.open(folder / "90_province_report.pdf") as pdf:
        pages = [" ".join(page.extract_text().split()) for page in pdf.pages]
    text = "\n".join(pages)
    assert len(pages) <= 3 and "số liệu 2013" in pages[0] and "2012–2024" not in pages[0]  # the data's period
    assert "sổ đề án (số liệu thật)" in pages[0] and "Không có: khảo sát cơ sở, kế hoạch, thống kê tỉnh." in pages[0]
    assert "không so sánh được: chỉ có số liệu của chính tỉnh này" in text
    value = i18n.fmt_number(round(ratio, 2), "vi", 2)
    assert "không khác biệt rõ" not in text and "(cả nước): chỉ có" not in text  # no caveat repeated for the country
    assert "Không vẽ được cường độ chi theo năm" in text  # one line, not an empty chart
    row = [c.text for c in docx.Document(folder / "90_province_report.docx").tables[0].rows[1].cells]
    assert row[1].startswith(value) and row[2] == row[3] == "—"
