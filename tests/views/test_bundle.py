"""The per-province XLSX bundle: one sheet per table, an about sheet with status and language."""
import openpyxl
import pandas as pd

from khuyencong.views import bundle


def test_bundle_sheets_and_status(tmp_path):
    folder = tmp_path / "90_province_report"
    folder.mkdir()
    pd.DataFrame({"area_code": ["01"], "value": [1.5]}).to_csv(folder / "t.csv", index=False, encoding="utf-8-sig")
    a = bundle.write(tmp_path / "a.xlsx", "Hà Nội", [folder], "SYNTHETIC", "vi", ["demo"], tmp_path)
    b = bundle.write(tmp_path / "b.xlsx", "Hà Nội", [folder], "SYNTHETIC", "vi", ["demo"], tmp_path)
    assert a.read_bytes() == b.read_bytes()
    wb = openpyxl.load_workbook(a)
    assert wb.sheetnames == ["Giới thiệu", "t"]
    about = [c for row in wb["Giới thiệu"].values for c in row if c]
    assert "SYNTHETIC" in about and "vi" in about and "90_province_report/t.csv" in about
    rows = list(wb["t"].values)
    assert rows[0][:4] == ("Tình trạng số liệu", "SYNTHETIC", "Ngôn ngữ", "vi")
    assert rows[2][:2] == ("01", 1.5)


def test_sheet_names_are_unique_and_short():
    taken = set()
    names = [bundle.sheet_name("x" * 40, taken) for _ in range(3)]
    assert len(set(names)) == 3 and all(len(n) <= 31 for n in names)
