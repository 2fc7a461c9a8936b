"""Official statistics committed in data/raw/official: exact copies, provenance, the long table."""
from __future__ import annotations

import logging

import pandas as pd
import pytest

from khuyencong import paths
from khuyencong.files import sha256_file
from khuyencong.ingest import gso, official, official_check, provenance

# From the README of the shared folder the files came from (GSO PX-Web 2019-08-06; MOF via mdtrinh/vietnamdata).
SHA256 = {
    "gso/Average population by province.csv": "4ddb64f15fd3b07c8741f98765e16cc67d773fb41761c0ae4be7ddf59009b79f",
    "gso/Index of Industrial production by province.csv":
        "62aea9ea7cb3230a08ce2efa7c035f63ae7ade8f293be9f0b504f55b33be88b3",
    "gso/Labour force at 15 years of age and above by province.csv":
        "5ab4fb00a7b1fdeee5df6038f85667dd29f6e7ada4a563f4f9b4d258255181db",
    "gso/Percentage of trained employed workers at 15 years of age and above by province.csv":
        "b7660e771865bfbc45f0bf180a9b114db00b9e5ffa08b890b1e15db3562cde75",
    "mof/Vietnam_National_Budget_Final.csv": "355de037d185a32666238e1fcc485e9e6039fd9f675d3cfabe8f3a03740fd319",
}


@pytest.fixture(scope="module")
def stats():
    return official.read_official()


def test_files_are_exact_copies_with_provenance():
    records = provenance.load_records()
    for rel, digest in SHA256.items():
        assert sha256_file(official.official_dir() / rel) == digest, rel
        rec = records[f"official/{rel}"]
        assert rec["sha256"] == digest and rec["licence"] and rec["retrieved"]
        assert ("choisy/gso" if rel.startswith("gso") else "mdtrinh/vietnamdata") in rec["source"]


def test_long_table_columns_and_status(stats):
    frame, _ = stats
    assert list(frame.columns) == official.COLUMNS
    assert (frame["data_status"] == "REAL (official)").all() and (frame["boundaries"] == "legacy").all()
    assert frame["value"].notna().all() and frame["province_code_2025"].notna().all()
    assert set(frame["status"]) <= {"prel", "final"}
    assert not frame.duplicated(["series", "measure", "province_code", "year"]).any()


def test_every_series_is_present(stats):
    frame, _ = stats
    ipi = frame.loc[frame["series"] == "Index of Industrial production by province"]
    assert sorted(ipi["year"].unique()) == [2012, 2013, 2014, 2015, 2016]
    assert ipi["province_code"].nunique() == 63 and set(ipi["unit"]) == {"previous year = 100"}
    budget = frame.loc[frame["series"] == official.MOF_SERIES]
    assert budget["year"].min() == 2006 and budget["year"].max() == 2015
    assert "Percentage of trained employed workers at 15 years of age and above by province" in set(frame["series"])


def test_accounting_balances(stats):
    frame, accounting = stats
    assert len(accounting) == len(SHA256)
    rows = accounting["province_rows"] + accounting["aggregate_rows"] + accounting["rejected_rows"]
    assert (rows == accounting["rows_read"]).all() and (accounting["rejected_rows"] == 0).all()
    assert accounting["values_kept"].sum() == len(frame)


def test_build_writes_tables_without_absolute_paths(tmp_path):
    frame = official.build_official(tmp_path)
    back = pd.read_parquet(tmp_path / "official_stats.parquet")
    assert len(back) == len(frame)
    for name in ("official_stats.csv", "official_stats_accounting.csv"):
        assert str(paths.project_root()).encode() not in (tmp_path / name).read_bytes()


# ---------------------------------------------------------------- validate on any PX-Web export

SHAPES = paths.project_root() / "tests" / "fixtures" / "gso_shapes"
IIP = official.official_dir() / "gso" / "Index of Industrial production by province.csv"


def _validate(path, caplog, **kw):
    from khuyencong.ingest.validate import validate_paths

    with caplog.at_level(logging.INFO, logger="khuyencong.ingest.official_check"):
        report = validate_paths([path], **kw)
    return report, caplog.text


@pytest.mark.parametrize("path", sorted(SHAPES.glob("*.csv")), ids=lambda p: p.name)
def test_every_export_shape_is_accepted_as_official_statistics(path, caplog):
    report, found = _validate(path, caplog)
    assert report.ok and report.rows_read > 0 and report.rows_with_errors == 0
    assert official_check.KIND in found and "unmatched names: 0" in found
    assert all(p.check == "mixed encoding" for p in report.problems)  # only latin1_line.csv warns


def test_retail_sales_export_says_what_it_found(caplog):
    report, found = _validate(SHAPES / "unallocated.csv", caplog)
    assert report.ok and not report.problems and report.rows_read == 4
    assert "series: Retail sales of goods by province" in found
    assert "years: 2015–2016 (2); preliminary: Prel. 2016" in found
    assert "provinces matched: 2 of 63" in found
    assert "aggregate rows skipped: 2 (whole country 1, not allocated to provinces 1)" in found
    assert "values: 4 kept" in found


def test_measures_and_regions_are_reported(caplog):
    _, found = _validate(SHAPES / "pre_and_prel.csv", caplog)
    assert "measures: Rural, Total" in found and "preliminary: Rural Prel. 2016, Total Pre.2016" in found
    _, found = _validate(SHAPES / "misspelt_region.csv", caplog)
    assert "region 1" in found and "'Northern midlands and moutain areas'" in found


def test_latin1_line_is_read_with_a_warning():
    check = official_check.check_export(SHAPES / "latin1_line.csv")
    assert [p.severity for p in check.problems] == ["warning"] and check.rows_with_errors == 0


def test_industrial_production_index_is_official_statistics(caplog):
    report, found = _validate(IIP, caplog)
    assert report.ok and report.rows_read == 70
    assert "years: 2012–2016 (5)" in found and "provinces matched: 63 of 63" in found
    assert "aggregate rows skipped: 7 (whole country 1, region 6)" in found
    check = official_check.check_export(IIP)
    assert f"values: {len(official.gso_rows(gso.read_pxweb(IIP)))} kept" in "\n".join(check.found)


def test_unknown_name_is_an_error_with_suggestions(tmp_path, caplog):
    path = tmp_path / "retail.csv"
    path.write_bytes('\ufeff"Retail sales of goods by province by Cities, provincies and Year"\r\n\r\n'
                     '"Cities, provincies";"2015";"2016"\r\n" WHOLE COUNTRY";3242.9;3527.4\r\n'
                     '"Quang Ninhh";62.5;68.7\r\n"Hai Phong";1;2\r\n'.encode())
    report, found = _validate(path, caplog)
    assert not report.ok and report.rows_with_errors == 1 and "unmatched names: 1" in found
    (problem,) = report.problems
    assert (problem.row, problem.value, problem.check) == (5, "Quang Ninhh", "unknown province")
    assert "Quảng Ninh" in problem.fix


def test_unreadable_export_is_a_file_problem(tmp_path, caplog):
    path = tmp_path / "bad.csv"
    path.write_text('"Retail sales of goods by province by Cities, provincies and Year"\n\n'
                    '"Cities, provincies";"2015"\n"Hai Phong";abc\n', encoding="utf-8")
    report, _ = _validate(path, caplog)
    assert not report.ok and [p.check for p in report.problems] == ["unreadable file"]


def test_province_stats_dataset_keeps_the_province_stats_checks(caplog):
    report, found = _validate(IIP, caplog, dataset="province_stats")
    assert official_check.KIND not in found
    assert not report.ok and set(report.summary()) == {"aggregate row"}  # as before issue 11
