"""Cleaning: typed columns, rows read = kept + rejected, outputs written atomically and reproducibly."""
from __future__ import annotations

import pandas as pd
import pytest

from fixtures.raw_files import REGISTER_HEADER, register_row, write_csv, write_xlsx
from fixtures.shared import shared_file
from khuyencong.core import datasets as ds
from khuyencong.ingest.clean import clean_all, clean_table, data_status_for
from khuyencong.files import sha256_file
from khuyencong.ingest.readers import read_raw
from khuyencong.core.schemas import SCHEMAS, data_dictionary, processed_columns

STATS_A = ["Tỉnh/thành phố", "Năm", "GRDP (tỷ đồng)"]
STATS_B = ["Province", "Year", "Population"]


def _register(tmp_path, name="reg.csv"):
    rows = [register_row(province="Bắc Giang", support="100.000", contribution="50", total="150"),
            register_row(pid="DA-002", province="Bac Giag", support="2.000", contribution="1", total="3"),
            register_row(pid="DA-003", province="Hà Nội", support="2.500,5", contribution="0", total=None,
                         category="Sản xuất sạch hơn, sử dụng hiệu quả năng lượng", status="Dừng thực hiện"),
            register_row(pid="DA-004", province="Hà Nội", year=1890, support="-3", total=None)]
    header = [h.replace("Kinh phí hỗ trợ (triệu đồng)", "Kinh phí hỗ trợ (nghìn đồng)") for h in REGISTER_HEADER]
    return write_csv(tmp_path / name, header, rows, sep=";")


def test_clean_table_types_units_and_rejects(tmp_path):
    result = clean_table(read_raw(_register(tmp_path)))
    clean = result.clean
    assert result.rows_read == 4 and result.rows_kept == 2 and result.rows_rejected == 2
    assert list(clean.columns) == [c.column for c in processed_columns("register")]
    assert clean["state_support"].tolist() == [100.0, 2.5005]  # nghìn đồng → million VND
    assert clean["year"].dtype == "int64" and str(clean["trainees"].dtype) == "Int64"
    assert clean["province_code"].tolist() == ["24", "01"]
    assert clean["province_name"].tolist() == ["Bắc Giang", "Hà Nội"]
    assert clean["category"].tolist() == ["training", "cleaner_production"]
    assert clean["status"].tolist() == ["completed", "stopped"]
    assert clean["funding_source"].tolist() == ["KCDP", "KCDP"]
    assert clean["source_row"].tolist() == [2, 4]
    assert set(clean["boundaries"]) == {"legacy"} and set(clean["data_status"]) == {"REAL"}
    assert clean["province_code_2025"].notna().all()
    SCHEMAS["register"].validate(clean)
    rej = result.rejected
    assert rej["source_row"].tolist() == [3, 5]
    assert rej["province"].tolist() == ["Bac Giag", "Hà Nội"]  # the raw row, as printed
    assert rej["reason"].tolist() == ["unknown province", "year out of range; negative money"]
    assert result.rejected_by_reason() == {"negative money": 1, "unknown province": 1, "year out of range": 1}


def test_data_status_from_path():
    assert data_status_for("data/raw/demo/register.csv") == "SYNTHETIC"
    assert data_status_for("elsewhere/SYNTHETIC_register.csv") == "SYNTHETIC"
    assert data_status_for("data/raw/bac_giang_2024.xlsx") == "REAL"


def _outputs(out):
    """The files as readers see them (the set folders behind them are hidden: ``.sets``, ``.current``)."""
    return sorted(p for p in out.rglob("*") if p.is_file() and not p.relative_to(out).parts[0].startswith("."))


def test_clean_all_writes_everything_and_is_reproducible(tmp_path):
    reg = _register(tmp_path)
    demo = tmp_path / "demo"
    demo.mkdir()
    reg2 = write_xlsx(demo / "reg2.xlsx", REGISTER_HEADER, [register_row(pid="DA-100", province="Lạng Sơn"),
                                                             register_row(pid="DA-001", province="Lạng Sơn")])
    out = tmp_path / "processed"
    summary = clean_all({"register": [reg, reg2]}, out_dir=out)
    names = [p.relative_to(out).as_posix() for p in _outputs(out)]
    assert names == ["data_dictionary.csv", "data_dictionary.md", "register.parquet",
                     "rejected/register_rejected.csv", "row_accounting.csv"]
    acc = pd.read_csv(out / "row_accounting.csv", encoding="utf-8-sig", keep_default_na=False)
    assert acc["rows_read"].tolist() == [4, 2]
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"]).all()
    assert acc["rejected_by_reason"].tolist()[1] == "duplicate key=1"  # DA-001 is first in reg.csv
    table = pd.read_parquet(out / "register.parquet")
    assert len(table) == 3 and table["data_status"].tolist() == ["REAL", "REAL", "SYNTHETIC"]
    rejected_bytes = (out / "rejected" / "register_rejected.csv").read_bytes()
    assert rejected_bytes.startswith(b"\xef\xbb\xbf")
    rejected = pd.read_csv(out / "rejected" / "register_rejected.csv", encoding="utf-8-sig", dtype=str)
    assert {"reason", "detail", "source_file", "source_row"} <= set(rejected.columns) and len(rejected) == 3
    assert "register: 2 file(s), 6 rows read = 3 kept + 3 rejected" in summary.format()
    first = {p: sha256_file(p) for p in _outputs(out)}
    clean_all({"register": [reg, reg2]}, out_dir=out)
    assert {p: sha256_file(p) for p in _outputs(out)} == first


def test_province_filter_applies_after_accounting(tmp_path):
    out = tmp_path / "processed"
    summary = clean_all({"register": [_register(tmp_path)]}, out_dir=out, province="Bac Giang")
    table = pd.read_parquet(out / "register.parquet")
    assert table["province_code"].tolist() == ["24"]
    assert summary.accounting["rows_read"].sum() == 4 and summary.tables == {"register": 1}
    assert "Bắc Giang (24)" in summary.format()
    with pytest.raises(ValueError, match="unknown province"):
        clean_all({"register": [_register(tmp_path)]}, out_dir=out, province="Atlantis")


def test_province_stats_files_fill_columns_of_one_row(tmp_path):
    a = write_csv(tmp_path / "a.csv", STATS_A, [["Hà Nội", 2020, "1.000,5"], ["Huế", 2020, "20"]], sep=";")
    b = write_csv(tmp_path / "b.csv", STATS_B, [["Ha Noi", 2020, "8246.6"], ["Ha Noi", 2021, "8330.8"]])
    out = tmp_path / "p"
    clean_all({"province_stats": [a, b]}, out_dir=out)
    t = pd.read_parquet(out / "province_stats.parquet")
    assert t[["province_code", "year"]].values.tolist() == [["01", 2020], ["01", 2021], ["46", 2020]]
    assert t["grdp"].tolist()[0] == 1_000_500.0 and t["population"].tolist()[:2] == [8246.6, 8330.8]
    assert t["source_file"].tolist()[0] == "a.csv; b.csv"
    twice = write_csv(tmp_path / "c.csv", STATS_B, [["Hà Nội", 2020, "1"]])
    summary = clean_all({"province_stats": [a, b, twice]}, out_dir=out)
    assert summary.rejected_by_reason["province_stats"] == {"duplicate key": 1}


def test_default_inputs_are_the_demo_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    demo = tmp_path / "data" / "raw" / "demo"
    demo.mkdir(parents=True)
    write_csv(demo / "r.csv", REGISTER_HEADER, [register_row()])
    write_csv(demo / "s.csv", ["Mã cơ sở", "Mã đề án", "Tỉnh", "Năm", "Giá trị sản xuất", "Số lao động"],
              [["CS-001", "DA-001", "Bắc Giang", 2021, "10,5", 2]])
    summary = clean_all()
    processed = tmp_path / "data" / "processed"
    assert summary.tables == {"register": 1, "survey": 1}
    survey = pd.read_parquet(processed / "survey.parquet")
    assert survey["data_status"].tolist() == ["SYNTHETIC"] and survey["source_file"].tolist() == ["data/raw/demo/s.csv"]
    assert survey["output_value"].tolist() == [10.5] and str(survey["workers"].dtype) == "Int64"


def test_schemas_and_dictionary_agree_with_datasets():
    dd = data_dictionary()
    for name in ds.DATASETS:
        columns = [c.column for c in processed_columns(name)]
        assert list(SCHEMAS[name].columns) == columns
        assert dd.loc[dd["table"] == name, "column"].tolist() == columns
    money = dd[dd["column"].isin(["state_support", "output_value", "grdp"])]
    assert set(money["unit"]) == {"million VND"}
    assert dd["description_vi"].str.len().gt(0).all() and dd["description_en"].str.len().gt(0).all()


@pytest.mark.shared
def test_gso_pxweb_exports_clean_into_province_stats(tmp_path):
    files = [shared_file("gso", "Index of Industrial production by province.csv"),
             shared_file("gso", "Average population by province.csv")]
    summary = clean_all({"province_stats": files}, out_dir=tmp_path)
    acc = summary.accounting
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"]).all()
    assert summary.rejected_by_reason["province_stats"]["aggregate row"] > 0  # WHOLE COUNTRY and regions
    table = pd.read_parquet(tmp_path / "province_stats.parquet")
    assert table.loc[table["year"] >= 2008, "province_code"].nunique() == 63  # Hà Tây only before 2008
    assert not table.duplicated(["province_code", "year"]).any()
    hanoi_2015 = table[(table["province_code"] == "01") & (table["year"] == 2015)].iloc[0]
    assert 100 < hanoi_2015["iip"] < 120 and 5000 < hanoi_2015["population"] < 10000
    assert set(table["data_status"]) == {"REAL"}


def test_one_province_never_overwrites_the_full_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("KHUYENCONG_ROOT", str(tmp_path))
    summary = clean_all({"register": [_register(tmp_path)]}, province="Bắc Giang")
    by_province = tmp_path / "data" / "processed" / "by_province" / "24"
    assert (by_province / "register.parquet").exists()
    assert not (tmp_path / "data" / "processed" / "register.parquet").exists()
    assert summary.tables == {"register": 1}


def test_examples_show_a_few_problems_of_each_kind(tmp_path):
    summary = clean_all({"register": [_register(tmp_path)]}, out_dir=tmp_path / "out")
    examples = summary.examples(per_check=1)
    assert examples["check"].is_unique
    assert set(examples["check"]) == {p.check for p in summary.problems}
