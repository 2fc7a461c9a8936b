"""Export: CSV with BOM, XLSX and Stata; formula-like text neutralised, numbers left alone; every
format carries the data status, source and language; Stata value and dataset labels."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from khuyencong.core import i18n
from khuyencong.ingest.export import Stamp, export_table, read_stamp, safe_cell, stamp_of, stata_names, vocabulary


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


STAMP = Stamp("SYNTHETIC", "Sổ đề án khuyến công (dữ liệu demo)", "vi")


def test_every_format_carries_the_stamp_as_columns_and_reads_back(tmp_path):
    df = pd.DataFrame({"Tỉnh": ["Hà Nội", "Cần Thơ"], "Tỷ lệ": ["1,25", "0,8"], "n": [3, 4]})
    csv, xlsx = (export_table(df, tmp_path / f"t.{ext}", stamp=STAMP) for ext in ("csv", "xlsx"))
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(back.columns) == ["Tỉnh", "Tỷ lệ", "n", "data_status", "data_source", "lang"]
    assert back["n"].tolist() == [3, 4] and set(back["data_status"]) == {"SYNTHETIC"}
    assert read_stamp(csv) == read_stamp(xlsx) == STAMP
    assert pd.read_excel(xlsx, engine="openpyxl").equals(back)  # the data sheet is the first: read as the CSV
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["data", "Giới thiệu"]
    about = [c for row in wb["Giới thiệu"].values for c in row if c]
    assert about[:2] == ["Tình trạng số liệu", "SYNTHETIC"] and "vi" in about
    assert wb.properties.subject == "SYNTHETIC" and wb.properties.language == "vi"
    assert read_stamp(export_table(df, tmp_path / "bare.csv")) is None


def test_stamp_rules():
    with pytest.raises(ValueError, match="SYNTHETIC, REAL or DERIVED"):
        Stamp("demo", "x", "vi")
    with pytest.raises(ValueError, match="lang"):
        Stamp("REAL", "x", "fr")
    own = pd.DataFrame({"data_status": ["REAL (published)", "SYNTHETIC"], "v": [1, 2]})
    stamped = STAMP.on(own)
    assert stamped["data_status"].tolist() == ["REAL (published)", "SYNTHETIC"]  # a row's own status stays
    assert stamp_of(stamped).status == "SYNTHETIC"
    assert len(Stamp("REAL", "x" * 200, "en").label()) == 80


def test_exports_are_byte_stable(tmp_path):
    df = pd.DataFrame({"category": ["training", "technology"], "v": [1.5, 2.0]})
    first = {ext: export_table(df, tmp_path / f"a.{ext}", stamp=STAMP).read_bytes() for ext in ("csv", "xlsx", "dta")}
    time.sleep(1.1)  # XLSX and .dta would otherwise carry the (changed) current time
    assert first == {ext: export_table(df, tmp_path / f"a.{ext}", stamp=STAMP).read_bytes()
                     for ext in ("csv", "xlsx", "dta")}


def test_dta_value_labels_and_dataset_label(tmp_path):
    df = pd.DataFrame({"category": ["training", "technology", ""], "funding_source": ["KCQG", "KCDP", "KCQG"],
                       "status": ["completed", "completed", "stopped"], "v": [1.0, 2.0, 3.0]})
    en = Stamp("REAL", "Sở Công Thương", "en")
    path = export_table(df, tmp_path / "t.dta", stamp=en)
    with pd.io.stata.StataReader(path) as reader:
        labels, title = reader.value_labels(), reader.data_label
    assert title == "REAL · en · Sở Công Thương"
    assert labels["category"][list(vocabulary("category")).index("training") + 1] == i18n.t("category.training", "en")
    assert set(labels) == {"category", "funding_source", "status"}
    back = pd.read_stata(path, convert_categoricals=True)
    assert back["category"].tolist()[:2] == [i18n.t("category.training", "en"), i18n.t("category.technology", "en")]
    assert pd.isna(back["category"].iloc[2])
    assert back["funding_source"].tolist() == [i18n.t(f"funding_source.{c}", "en") for c in df["funding_source"]]
    assert back["status"].tolist()[2] == i18n.t("status.stopped", "en")
    assert back["data_status"].tolist() == ["REAL"] * 3 and back["lang"].tolist() == ["en"] * 3
    codes = pd.read_stata(path, convert_categoricals=False)
    assert codes["funding_source"].tolist() == [list(vocabulary("funding_source")).index(c) + 1
                                                for c in df["funding_source"]]


def test_dta_keeps_text_outside_the_vocabulary_and_labels_processed_tables(tmp_path):
    df = pd.DataFrame({"category": ["training", "not-a-category"], "data_status": ["SYNTHETIC", "SYNTHETIC"]})
    path = export_table(df, tmp_path / "t.dta", table="register")
    with pd.io.stata.StataReader(path) as reader:
        assert reader.value_labels() == {} and reader.data_label == "SYNTHETIC · vi · data/processed/register"
    assert pd.read_stata(path)["category"].tolist() == ["training", "not-a-category"]


def test_tables_without_a_valid_stamp_read_as_none():
    row = {"data_status": "SYNTHETIC", "data_source": "x", "lang": "vi"}
    assert stamp_of(pd.DataFrame([row])) == Stamp("SYNTHETIC", "x", "vi")
    derived = "DERIVED (published figures and official statistics)"  # nb 30's spending vs growth table
    assert stamp_of(pd.DataFrame([{**row, "data_status": derived}])) == Stamp(derived, "x", "vi")
    assert stamp_of(pd.DataFrame(columns=list(row))) is None  # no rows: nothing says the status
    assert stamp_of(pd.DataFrame([{**row, "data_status": "demo"}])) is None
    assert stamp_of(pd.DataFrame([row, {**row, "lang": "en"}])) is None
    assert stamp_of(pd.DataFrame([row]).drop(columns="lang")) is None


# ---------------------------------------------------------------- issue 23: long cells, CR, categorical columns

def test_xlsx_says_which_column_was_cut_at_excels_cell_limit(tmp_path, caplog):
    """Issue 23: cells of 40,000 and 1,000,000 characters were cut to 32,767 without a word."""
    import openpyxl

    df = pd.DataFrame({"title": ["a" * 40_000, "b" * 1_000_000, "short"], "note": ["x\ry", "", ""]})
    with caplog.at_level("WARNING"):
        path = export_table(df, tmp_path / "t.xlsx")
    said = caplog.text
    assert "column title: 2 cell(s) longer than Excel's 32,767 characters were cut" in said
    assert "column note: 1 cell(s) hold a carriage return" in said
    rows = list(openpyxl.load_workbook(path, read_only=True)["data"].values)
    assert [len(r[0]) for r in rows[1:]] == [32_767, 32_767, 5]
    whole = pd.read_csv(export_table(df, tmp_path / "t.csv"), encoding="utf-8-sig")
    assert whole["title"].str.len().tolist() == [40_000, 1_000_000, 5]  # CSV keeps them whole


def test_the_guard_applies_to_categorical_columns(tmp_path):
    """Issue 23: a categorical column's control characters stopped XLSX and .dta, and its formula
    text reached the CSV live."""
    import openpyxl

    df = pd.DataFrame({"title": pd.Categorical(["=HYPERLINK(\"http://evil.example\",\"x\")", "bell\x07", "ok"]),
                       "v": [1.0, 2.0, 3.0]})
    csv = pd.read_csv(export_table(df, tmp_path / "t.csv"), encoding="utf-8-sig")
    assert csv["title"].iloc[0].startswith("'=")
    values = [r[0] for r in openpyxl.load_workbook(export_table(df, tmp_path / "t.xlsx"), read_only=True)["data"].values]
    assert values[1].startswith("'=") and values[2] == "bell\\x07"
    assert pd.read_stata(export_table(df, tmp_path / "t.dta"))["title"].iloc[1] == "bell\\x07"
