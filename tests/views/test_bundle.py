"""The per-province XLSX bundle: one sheet per table, as its CSV (stamp columns included), and an
about sheet with the data status, language and sources taken from the tables' own stamps."""
import openpyxl
import pandas as pd
import pytest

from khuyencong.analysis import selection
from khuyencong.ingest.export import Stamp, export_table
from khuyencong.views import bundle, results
from khuyencong.views.context import Context

DEMO = Stamp("SYNTHETIC", "Sổ đề án (dữ liệu demo)", "vi")
PUBLISHED = Stamp("REAL (published)", "Báo Bắc Giang", "vi")


def _report(root, name, tables: dict) -> object:
    folder = root / name
    folder.mkdir()
    for stem, (frame, stamp) in tables.items():
        export_table(frame, folder / f"{stem}.csv", stamp=stamp)
    return folder


def test_bundle_sheets_are_the_stamped_tables_and_stable(tmp_path):
    a_table = pd.DataFrame({"area_code": ["01"], "value": [1.5]})
    folders = [_report(tmp_path, "05_real_record", {"r": (a_table, PUBLISHED)}),
               _report(tmp_path, "90_province_report", {"t": (a_table, DEMO)})]
    a = bundle.write(tmp_path / "a.xlsx", "Hà Nội", folders, None, "vi", base=tmp_path)
    b = bundle.write(tmp_path / "b.xlsx", "Hà Nội", folders, None, "vi", base=tmp_path)
    assert a.read_bytes() == b.read_bytes()
    wb = openpyxl.load_workbook(a)
    assert wb.sheetnames == ["Giới thiệu", "r", "t"]
    about = list(wb["Giới thiệu"].values)
    assert about[1][:2] == ("Tình trạng số liệu", "SYNTHETIC")  # one SYNTHETIC table makes the bundle so
    assert ("Nguồn", "Báo Bắc Giang") in [r[:2] for r in about]
    listed = {r[0]: r for r in about if r[0] in ("r", "t")}
    assert listed["r"][2:5] == ("05_real_record/r.csv", "REAL (published)", "Báo Bắc Giang")
    assert listed["t"][3] == "SYNTHETIC"
    sheet = pd.read_excel(a, sheet_name="t", dtype={"area_code": str}, engine="openpyxl")
    assert sheet.iloc[0].tolist() == ["01", 1.5, "SYNTHETIC", "Sổ đề án (dữ liệu demo)", "vi"]
    assert wb.properties.subject == "SYNTHETIC" and wb.properties.language == "vi"


def test_unstamped_tables_are_listed_as_unknown_and_other_languages_refused(tmp_path, caplog):
    folder = _report(tmp_path, "old", {})
    pd.DataFrame({"v": [1]}).to_csv(folder / "bare.csv", index=False)
    wb = bundle.build("Hà Nội", [folder], None, "vi")
    assert list(wb["Giới thiệu"].values)[1][1] == bundle.UNKNOWN and "bare.csv carries no data status" in caplog.text
    assert list(bundle.build("Hà Nội", [folder], "REAL", "vi")["Giới thiệu"].values)[1][1] == "REAL"
    english = _report(tmp_path, "en", {"t": (pd.DataFrame({"v": [1]}), Stamp("REAL", "x", "en"))})
    with pytest.raises(ValueError, match="t.csv: a en table cannot go into the vi bundle"):
        bundle.build("Hà Nội", [english], None, "vi")


def test_results_save_stamps_tables_from_the_notebook_context(tmp_path, caplog):
    sel = selection.select("Hà Nội", 2012, 2024, "2025", "en")
    ctx = Context(sel, {"register": pd.DataFrame(), "published_figures": pd.DataFrame()}, "SYNTHETIC", None)
    table = pd.DataFrame({"Province": ["Hà Nội"], "Ratio": ["1.25"]})
    written = results.save(tmp_path, "x", table=table, about=ctx)
    assert [p.name for p in written] == ["x.csv", "x.xlsx"]
    back = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", dtype=str)
    assert back.iloc[0].tolist() == ["Hà Nội", "1.25", "SYNTHETIC", "data/processed: project register; published khuyến công figures",
                                     "en"]
    assert results.stamp(ctx, source="GSO") == Stamp("SYNTHETIC", "GSO", "en")
    results.save(tmp_path, "bare", table=table)
    assert "bare: table saved without its data status" in caplog.text


def test_sheet_names_are_unique_and_short():
    taken = set()
    names = [bundle.sheet_name("x" * 40, taken) for _ in range(3)]
    assert len(set(names)) == 3 and all(len(n) <= 31 for n in names)
