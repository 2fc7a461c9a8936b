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
    assert safe_cell("\r=x") == "'\r'=x"  # the cell and the line after the break
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


HOSTILE = ["ok\r=cmd|' /C calc'!A0", "line\n+SUM(1)", "bell\x07 and \x00 nul", "\t@x", "a\r\nb"]


def test_csv_quotes_every_line_break_and_neutralises_each_line(tmp_path):
    path = export_table(pd.DataFrame({"note": HOSTILE, "n": range(5)}), tmp_path / "t.csv")
    text = path.read_bytes().decode("utf-8-sig")
    assert '"ok\r\'=cmd|\' /C calc\'!A0"' in text and "\"line\n'+SUM(1)\"" in text
    assert [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            if line.lstrip('"').startswith(("=", "+", "@"))] == []
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert len(back) == 5 and back["n"].tolist() == list(range(5))
    assert back["note"][0] == "ok\r'=cmd|' /C calc'!A0"


def test_xlsx_and_dta_escape_control_characters_with_a_notice(tmp_path, caplog):
    df = pd.DataFrame({"note\x01": HOSTILE, "n": range(5)})
    ws = load_workbook(export_table(df, tmp_path / "t.xlsx")).active
    assert ws["A1"].value == "note\\x01" and ws["A4"].value == "bell\\x07 and \\x00 nul"
    assert ws["A3"].value == "line\n'+SUM(1)" and ws["A5"].value == "'\t@x"
    assert "t.xlsx: 2 cell(s) held control characters" in caplog.text
    back = pd.read_stata(export_table(df, tmp_path / "t.dta"))
    assert back["note_x01"].tolist()[2] == "bell\\x07 and \\x00 nul"


def test_dta_stores_long_text_and_explains_what_it_cannot_store(tmp_path):
    from khuyencong.errors import InputError

    long = "ư" * 3000  # 6000 bytes: over Stata's 2045-byte fixed strings, stored as strL
    back = pd.read_stata(export_table(pd.DataFrame({"t": [long, "x"]}), tmp_path / "t.dta"))
    assert back["t"].tolist() == [long, "x"]
    with pytest.raises(InputError, match=r"m\.dta: cannot be written as Stata \.dta .*export to \.csv or \.xlsx"):
        export_table(pd.DataFrame({"mixed": ["a", 1]}), tmp_path / "m.dta")
    assert not (tmp_path / "m.dta").exists()


def test_validate_output_xlsx_with_control_characters(tmp_path, capsys):
    from fixtures.raw_files import REGISTER_HEADER, register_row
    from khuyencong.cli import main

    source = tmp_path / "register.csv"
    rows = [REGISTER_HEADER, register_row(), register_row(pid="DA-002", province="Bac\x07 Giag\r=cmd")]
    source.write_text("\n".join(",".join(f'"{v}"' for v in row) for row in rows) + "\n", encoding="utf-8")
    target = tmp_path / "p.xlsx"
    assert main(["validate", str(source), "--output", str(target)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "p.xlsx: 1 cell(s) held control characters" in out + err
    values = [c.value for row in load_workbook(target).active.iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("Bac\\x07 Giag") for v in values)
