"""Export: CSV with BOM, XLSX and Stata; formula-like text neutralised, numbers left alone."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from khuyencong.ingest.export import export_table, safe_cell, stata_names


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "province_name": ["Bắc Giang", "Thừa Thiên Huế", "Đắk Lắk"],
        "note": ["=1+1", "-5", "@SUM(A1)"],
        "amount": [-5.0, 12.5, np.nan],
        "trainees": pd.array([3, None, 7], dtype="Int64"),
    })


def test_safe_cell_rules():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+cmd") == "'+cmd"
    assert safe_cell("@x") == "'@x"
    assert safe_cell("\tcmd") == "'\tcmd"
    assert safe_cell("\r=x") == "'\r=x"
    assert safe_cell("-5+A1") == "'-5+A1"
    assert safe_cell("-5") == "-5" and safe_cell("-1.234,5") == "-1.234,5"
    assert safe_cell(-5.0) == -5.0 and safe_cell("Hà Nội") == "Hà Nội"


def test_csv_has_bom_and_neutralised_formulas(tmp_path):
    path = export_table(_frame(), tmp_path / "t.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype={"note": str})
    assert back["note"].tolist() == ["'=1+1", "-5", "'@SUM(A1)"]
    assert back["province_name"].tolist() == ["Bắc Giang", "Thừa Thiên Huế", "Đắk Lắk"]
    assert pd.to_numeric(back["amount"]).tolist()[:2] == [-5.0, 12.5]
    text = data.decode("utf-8-sig")
    assert "'-5" not in text and ",-5.0," in text  # the number and the numeric text stay as they are


def test_xlsx_neutralised_text_and_numeric_negatives(tmp_path):
    path = export_table(_frame(), tmp_path / "t.xlsx")
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header == ["province_name", "note", "amount", "trainees"]
    assert ws["B2"].value == "'=1+1" and ws["B2"].data_type == "s"
    assert ws["C2"].value == -5.0 and ws["C2"].data_type == "n"
    assert ws["A3"].value == "Thừa Thiên Huế"
    assert ws["D3"].value is None and ws["D4"].value == 7


def test_dta_round_trips_vietnamese_with_labels(tmp_path):
    df = _frame().assign(**{"Tên cơ sở thụ hưởng rất dài vượt quá ba mươi hai ký tự": ["a", "b", "c"]})
    path = export_table(df, tmp_path / "t.dta", table="register")
    back = pd.read_stata(path)
    assert back["province_name"].tolist() == ["Bắc Giang", "Thừa Thiên Huế", "Đắk Lắk"]
    assert back["amount"].tolist()[:2] == [-5.0, 12.5]
    assert np.isnan(back["trainees"].tolist()[1])
    long_name = [c for c in back.columns if c.startswith("Ten_co_so")][0]
    assert len(long_name) <= 32
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
    assert labels["province_name"] == "Tên tỉnh chuẩn"


def test_stata_names_are_safe_and_unique():
    names = stata_names(["Năm", "năm", "2020 value", "a" * 40, "a" * 40 + "b"])
    assert names["Năm"] == "Nam" and names["năm"] == "nam_2"
    assert names["2020 value"] == "_2020_value"
    assert len(names["a" * 40]) == 32 and names["a" * 40] != names["a" * 40 + "b"]


def test_failed_export_leaves_the_old_file(tmp_path):
    target = tmp_path / "t.dta"
    target.write_bytes(b"old")
    bad = pd.DataFrame({"x": [object()]})
    with pytest.raises(Exception):
        export_table(bad, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.dta"]
    with pytest.raises(ValueError, match="use .csv, .xlsx or .dta"):
        export_table(_frame(), tmp_path / "t.json")
