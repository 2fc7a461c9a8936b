"""The GSO and MOF readers on the real files committed in data/raw/official (copies of ../shared/data).

Expectations are derived from the raw text with the csv module, independently of the readers;
no figure from the files is written here.
"""
from __future__ import annotations

import csv
import io
import random

import pytest

from fixtures.shared import shared_file
from khuyencong.ingest.official import official_dir
from khuyencong import paths
from khuyencong.ingest import gso
from khuyencong.ingest import mof
from khuyencong.core import provinces
from khuyencong.files import sha256_file

GSO_FILES = [
    "Index of Industrial production by province.csv",
    "Average population by province.csv",
    "Labour force at 15 years of age and above by province.csv",
    "Percentage of trained employed workers at 15 years of age and above by province.csv",
]
MOF_FILE = "Vietnam_National_Budget_Final.csv"
SEED = 20240601
LEGACY_CODES = {p.code for p in provinces.legacy_provinces()}
HA_TAY = provinces.normalize_province("Hà Tây").code


def official_file(*parts: str):
    """A file of data/raw/official: part of the repository, so never skipped."""
    return official_dir().joinpath(*parts)


def raw_records(path, delimiter):
    """(line number, fields) for every line, read with the csv module alone."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(reader.line_num, rec) for rec in reader]


@pytest.fixture(scope="module", params=GSO_FILES)
def gso_case(request):
    path = official_file("gso", request.param)
    records = raw_records(path, ";")
    return path, records, gso.read_pxweb(path)


def test_record_checksums(record_property):
    """The committed copies are byte-identical to ../shared/data (skipped when ../shared is absent)."""
    for parts in [("gso", f) for f in GSO_FILES] + [("mof", MOF_FILE)]:
        path = shared_file(*parts, committed=False)
        digest = sha256_file(path)
        record_property(path.name, digest)
        assert digest == sha256_file(official_file(*parts)), "/".join(parts)


def test_gso_provinces_resolved(gso_case):
    path, records, table = gso_case
    names = {" ".join(rec[0].split()) for _, rec in records[3:]}
    expected = LEGACY_CODES | ({HA_TAY} if "Ha Tay" in names else set())
    assert set(table.data["province_code"]) == expected
    assert table.rejected.empty
    assert table.boundaries == "legacy"
    assert table.source == paths.relative_to_root(path)


def test_gso_aggregates_counted(gso_case):
    _, records, table = gso_case
    agg_rows = table.aggregates.drop_duplicates("source_row")
    assert list(agg_rows["area_type"]).count("country") == 1
    assert list(agg_rows["area_type"]).count("region") == len(provinces.regions()) == 6
    assert set(agg_rows["province_code"].dropna()) == set(provinces.regions()["code"])
    raw_aggregates = [rec[0] for _, rec in records[3:] if provinces.is_region_or_country(rec[0])]
    assert table.accounting.aggregate_rows == len(raw_aggregates)


def test_gso_nothing_dropped(gso_case):
    path, records, table = gso_case
    acc = table.accounting
    raw = path.read_bytes()
    physical_lines = raw.count(b"\n") + (not raw.endswith(b"\n"))
    assert raw.count(b"\n") == raw.count(b"\r\n")  # CRLF throughout, as documented
    assert acc.lines_in_file == len(records) == physical_lines
    assert acc.title_lines + acc.blank_lines + acc.header_lines + acc.rows_read == physical_lines
    data_rows = [rec for _, rec in records if any(f.strip() for f in rec)][2:]  # minus title and header
    assert acc.rows_read == len(data_rows) == acc.province_rows + acc.aggregate_rows
    n_labels = len(records[2][1]) - 1
    assert len(table.data) == acc.province_rows * n_labels
    assert len(table.aggregates) == acc.aggregate_rows * n_labels


def test_gso_missing_cells_match_raw_text(gso_case):
    path, records, table = gso_case
    raw_dots = sum(f == ".." for _, rec in records[3:] for f in rec[1:])
    text_dots = path.read_text(encoding="utf-8-sig").count(";..")
    assert raw_dots == text_dots
    read_nan = int(table.data["value"].isna().sum() + table.aggregates["value"].isna().sum())
    assert read_nan == raw_dots == table.accounting.missing_cells
    print(f"{path.name}: {raw_dots} '..' cells")


def test_gso_spot_check_cells(gso_case):
    path, records, table = gso_case
    header = records[2][1]
    rows = [(line, rec) for line, rec in records[3:] if not provinces.is_region_or_country(rec[0])]
    cells = [(line, rec, j) for line, rec in rows for j in range(1, len(rec)) if rec[j] != ".."]
    rng = random.Random(SEED)
    for line, rec, j in rng.sample(cells, 8):
        label = header[j]
        year = int(label[-4:])
        measure = label[:-4].replace("Prel.", "").strip()
        hit = table.data[(table.data["source_row"] == line) & (table.data["year"] == year)
                         & (table.data["measure"] == measure)]
        assert len(hit) == 1, (path.name, line, label)
        assert hit["value"].iloc[0] == float(rec[j]), (path.name, line, label, rec[j])
        assert hit["name_as_printed"].iloc[0] == rec[0]
        assert hit["status"].iloc[0] == ("prel" if "Prel." in label else "final")


def test_gso_to_province_stats():
    iip = gso.to_province_stats(gso.read_pxweb(official_file("gso", GSO_FILES[0])), "iip")
    assert set(iip["province_code"]) == LEGACY_CODES
    assert not iip.duplicated(["province_code", "year"]).any()
    pop = gso.to_province_stats(gso.read_pxweb(official_file("gso", GSO_FILES[1])), "population", measure="Total")
    assert not pop.duplicated(["province_code", "year"]).any()
    assert pop["population"].notna().all()


# --- MOF ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mof_case():
    path = official_file("mof", MOF_FILE)
    return path, raw_records(path, ","), mof.read_budget(path)


def test_mof_provinces_resolved(mof_case):
    _, records, table = mof_case
    names = {rec[1] for _, rec in records[1:]}
    expected = LEGACY_CODES | ({HA_TAY} if "Ha Tay" in names else set())
    assert set(table.data["province_code"]) == expected
    assert table.rejected.empty
    years = sorted(set(table.data["year"]))
    for code, group in table.data.groupby("province_code"):
        if code == HA_TAY:
            assert group["year"].max() <= 2008  # merged into Hà Nội in August 2008
        else:
            assert sorted(group["year"]) == years, code


def test_mof_nothing_dropped(mof_case):
    path, records, table = mof_case
    raw = path.read_bytes()
    assert b"\n" not in raw  # CR-only line endings, as documented
    physical_lines = raw.count(b"\r") + (not raw.endswith(b"\r"))
    acc = table.accounting
    assert acc.lines_in_file == len(records) == physical_lines
    assert acc.rows_read == len(records) - 1 == acc.province_rows == len(table.data)
    assert acc.missing_cells == sum(f.strip() in ("", "NA") for _, rec in records[1:] for f in rec[2:9])
    assert acc.scientific_cells == raw.upper().count(b"E+") == int((table.data["sci_notation"] != "").sum())


def test_mof_spot_check_cells(mof_case):
    _, records, table = mof_case
    header = records[0][1]
    rng = random.Random(SEED)
    cells = [(line, rec, j) for line, rec in records[1:] for j in range(2, len(rec)) if header[j] != "year"]
    sci = [(line, rec, j) for line, rec, j in cells if "E+" in rec[j].upper()]
    for line, rec, j in rng.sample(cells, 8) + sci[:2]:
        hit = table.data[table.data["source_row"] == line]
        assert len(hit) == 1
        assert hit[header[j]].iloc[0] == float(rec[j]), (line, header[j], rec[j])
        assert hit["prov"].iloc[0] == rec[1]
        assert hit["year"].iloc[0] == int(rec[-1])


def test_mof_documented_structure_and_units(mof_case):
    _, _, table = mof_case
    d = table.data
    # net.trans = total.rev - total.exp, as stated in khuyencong.ingest.mof's docstring
    assert ((d["total.rev"] - d["total.exp"] - d["net.trans"]).abs() <= 1).all()
    assert d["ratio"].between(0, 100).all()
    # Unit check (million VND): the provinces' revenue summed per year must sit between 100 and
    # 1,200 thousand billion VND — Vietnam's national state-budget revenue in 2006-2015 was
    # roughly 280-1,000 thousand billion VND. Thousand or billion VND would miss by 10^3.
    per_year = d.groupby("year")["total.rev"].sum()
    assert per_year.between(1e8, 1.2e9).all(), per_year
