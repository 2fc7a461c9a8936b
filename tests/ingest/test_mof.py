"""MOF budget reader on small invented fixtures with the real file's quirks."""
from __future__ import annotations

import pandas as pd
import pytest

from khuyencong.ingest import gso
from khuyencong.ingest import mof
from khuyencong.core import provinces

HEADER = ",prov,total.rev,ratio,total.exp,balance.trans,target.trans,project.trans,net.trans,year"
# Invented numbers. Quirks: CR-only endings, unnamed index column, ASCII names with spaced
# hyphen, Hà Tây, scientific notation, negative and fractional figures, no final line ending.
ROWS = [
    "7,Bac Ninh,1500000,100,900000.5,10,20,30,599999.5,2006",
    "8,Ha Tay,2.50E+05,100,400000,1.20E+05,5,6,-150000,2006",
    "19,Thua Thien - Hue,700000,87,812345.678,-4,0,3.00E+05,-112345.678,2007",
    "120,Ho Chi Minh City,50000000,25,9000000,1,2,3,41000000,2007",
]


def write(tmp_path, rows=ROWS, header=HEADER, eol="\r", name="budget.csv"):
    path = tmp_path / name
    path.write_bytes(eol.join([header, *rows]).encode("ascii"))
    return path


@pytest.fixture
def table(tmp_path):
    return mof.read_budget(write(tmp_path))


def test_values_exact(table):
    d = table.data
    assert list(d.columns) == ["source_index", "province_code", "province_name", "prov", "year", "total.rev", "ratio",
                               "total.exp", "balance.trans", "target.trans", "project.trans", "net.trans",
                               "sci_notation", "source_row"]
    assert list(d["source_index"]) == [7, 8, 19, 120]
    assert list(d["prov"]) == ["Bac Ninh", "Ha Tay", "Thua Thien - Hue", "Ho Chi Minh City"]
    assert list(d["province_code"]) == [provinces.normalize_province(n).code
                                        for n in ("Bắc Ninh", "Hà Tây", "Thừa Thiên Huế", "Hồ Chí Minh")]
    assert list(d["year"]) == [2006, 2006, 2007, 2007]
    assert list(d["total.rev"]) == [1500000.0, 250000.0, 700000.0, 50000000.0]
    assert list(d["total.exp"]) == [900000.5, 400000.0, 812345.678, 9000000.0]
    assert list(d["balance.trans"]) == [10.0, 120000.0, -4.0, 1.0]
    assert list(d["project.trans"]) == [30.0, 6.0, 300000.0, 3.0]
    assert list(d["net.trans"]) == [599999.5, -150000.0, -112345.678, 41000000.0]
    assert list(d["ratio"]) == [100.0, 100.0, 87.0, 25.0]
    assert list(d["source_row"]) == [2, 3, 4, 5]
    assert list(d["sci_notation"]) == ["", "total.rev,balance.trans", "project.trans", ""]


def test_ha_tay_is_the_pre_2008_record(table):
    ha_tay = table.data[table.data["prov"] == "Ha Tay"].iloc[0]
    record = provinces.normalize_province(ha_tay["province_code"])
    assert record.name == "Hà Tây" and record.valid_to is not None
    assert ha_tay["province_name"] == "Hà Tây"


def test_units_and_accounting(table):
    assert table.units["total.rev"] == "million VND" and table.units["ratio"] == "percent"
    assert set(table.units) == {"total.rev", "ratio", "total.exp", "balance.trans", "target.trans",
                                "project.trans", "net.trans"}
    acc = table.accounting
    assert (acc.lines_in_file, acc.header_lines, acc.rows_read, acc.province_rows, acc.rejected_rows) == (5, 1, 4, 4, 0)
    assert acc.scientific_cells == sum(r.count("E+") for r in ROWS)
    assert acc.missing_cells == 0
    assert table.source == "budget.csv"


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_line_endings_do_not_matter(tmp_path, table, eol):
    other = mof.read_budget(write(tmp_path, eol=eol, name="other.csv"))
    pd.testing.assert_frame_equal(other.data, table.data)


def test_missing_cells_are_nan_and_counted(tmp_path):
    rows = ROWS[:1] + ["8,Ha Tay,,100,400000,NA,5,6,-150000,2006"]
    t = mof.read_budget(write(tmp_path, rows))
    assert t.data["total.rev"].isna().tolist() == [False, True]
    assert t.data["balance.trans"].isna().tolist() == [False, True]
    assert t.accounting.missing_cells == 2


def test_unknown_names(tmp_path):
    rows = ROWS + ["200,Atlantis,1,1,1,1,1,1,0,2007"]
    with pytest.raises(gso.UnknownNamesError, match=r"budget\.csv, line 6: 'Atlantis'"):
        mof.read_budget(write(tmp_path, rows))
    t = mof.read_budget(write(tmp_path, rows), strict=False)
    assert list(t.rejected["line"]) == [6]
    assert (t.accounting.rows_read, t.accounting.province_rows, t.accounting.rejected_rows) == (5, 4, 1)
    assert "Atlantis" not in set(t.data["prov"])


def test_region_row_refused(tmp_path):
    rows = ROWS + ["200,Red River Delta,1,1,1,1,1,1,0,2007"]
    with pytest.raises(mof.MofFormatError, match="line 6: 'Red River Delta' is a region or country total"):
        mof.read_budget(write(tmp_path, rows))


@pytest.mark.parametrize("cell", ['"1.234,5"', "abc", "3.00E+", "1e5e5"])
def test_bad_number_names_line_and_column(tmp_path, cell):
    rows = ROWS[:1] + [f"8,Ha Tay,{cell},100,400000,1,5,6,-150000,2006"]
    with pytest.raises(mof.MofFormatError, match=r"budget\.csv, line 3, column 'total\.rev'"):
        mof.read_budget(write(tmp_path, rows))


@pytest.mark.parametrize("year", ["06", "2006.0", ""])
def test_bad_year(tmp_path, year):
    rows = [ROWS[0].rsplit(",", 1)[0] + "," + year]
    with pytest.raises(mof.MofFormatError, match="line 2, column 'year'"):
        mof.read_budget(write(tmp_path, rows))


def test_header_must_match(tmp_path):
    with pytest.raises(mof.MofFormatError, match=r"missing \['ratio'\].*unknown \['share'\]"):
        mof.read_budget(write(tmp_path, header=HEADER.replace("ratio", "share")))


def test_ragged_row(tmp_path):
    with pytest.raises(mof.MofFormatError, match="line 3: 9 fields"):
        mof.read_budget(write(tmp_path, ROWS[:1] + ["8,Ha Tay,1,1,1,1,1,1,2006"]))


def test_duplicate_province_year(tmp_path):
    rows = ROWS + ["300,Bac  Ninh,1,1,1,1,1,1,0,2006"]
    with pytest.raises(mof.MofFormatError, match="more than once.*line 2: 'Bac Ninh'; line 6: 'Bac  Ninh'"):
        mof.read_budget(write(tmp_path, rows))
