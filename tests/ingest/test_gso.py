"""GSO PX-Web reader on small invented fixtures that carry every quirk of the real exports."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from khuyencong.ingest import gso
from khuyencong.core import provinces

# Invented numbers. Quirks: BOM, CRLF, ';', quoted title then blank line, leading and doubled
# spaces in names, '..' cells, country and region rows, Hà Tây, a 'Prel.' column.
SINGLE = [
    '"Index of widgets by province by Cities, provincies and Year"',
    "",
    '"Cities, provincies";"2013";"2014";"Prel. 2015"',
    '" WHOLE COUNTRY";101.5;..;103.0',
    '"Red River Delta";..;..;..',
    '"Ha Noi";110.2;99.9;..',
    '"Ha Tay";95.0;..;..',
    '"Thai  Nguyen";120.0;87.25;100',
    '"Mekong River Delta";104.0;105.0;106.0',
    '"Kien  Giang";..;130.5;-2.5',
]
MULTI = [
    '"Average widgets by province by Cities, provincies, Average widgets and Year"',
    "",
    '"Cities, provincies";"Total 2014";"Total Prel. 2015";"Male 2014";"Male Prel. 2015"',
    '" WHOLE COUNTRY";900.5;910.0;450.25;455.0',
    '"Quang  Nam";12.5;13.0;6.0;..',
    '"Ho Chi Minh city";80.0;81.5;39.0;40.0',
]


def write(tmp_path, lines, name="widgets.csv", eol="\r\n", bom=True, final_eol=True):
    path = tmp_path / name
    text = eol.join(lines) + (eol if final_eol else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def code(name):
    return provinces.normalize_province(name).code


def records(frame):
    return [tuple(None if (isinstance(v, float) and math.isnan(v)) else v for v in row)
            for row in frame.itertuples(index=False)]


@pytest.fixture
def single(tmp_path):
    return gso.read_pxweb(write(tmp_path, SINGLE))


def test_single_measure_values_exact(single):
    cols = ["province_code", "name_as_printed", "year", "measure", "status", "value", "source_row"]
    nan = None
    assert records(single.data[cols]) == [
        (code("Hà Nội"), "Ha Noi", 2013, "", "final", 110.2, 6),
        (code("Hà Nội"), "Ha Noi", 2014, "", "final", 99.9, 6),
        (code("Hà Nội"), "Ha Noi", 2015, "", "prel", nan, 6),
        (code("Hà Tây"), "Ha Tay", 2013, "", "final", 95.0, 7),
        (code("Hà Tây"), "Ha Tay", 2014, "", "final", nan, 7),
        (code("Hà Tây"), "Ha Tay", 2015, "", "prel", nan, 7),
        (code("Thái Nguyên"), "Thai  Nguyen", 2013, "", "final", 120.0, 8),
        (code("Thái Nguyên"), "Thai  Nguyen", 2014, "", "final", 87.25, 8),
        (code("Thái Nguyên"), "Thai  Nguyen", 2015, "", "prel", 100.0, 8),
        (code("Kiên Giang"), "Kien  Giang", 2013, "", "final", nan, 10),
        (code("Kiên Giang"), "Kien  Giang", 2014, "", "final", 130.5, 10),
        (code("Kiên Giang"), "Kien  Giang", 2015, "", "prel", -2.5, 10),
    ]
    assert list(single.data["province_name"].unique()) == ["Hà Nội", "Hà Tây", "Thái Nguyên", "Kiên Giang"]


def test_title_source_and_boundaries(single):
    assert single.title == "Index of widgets by province by Cities, provincies and Year"
    assert single.source == "widgets.csv"  # never an absolute path
    assert single.boundaries == "legacy"
    assert single.measures == [""]


def test_aggregates_set_aside(single):
    agg = single.aggregates.drop_duplicates("source_row")
    assert list(agg["name_as_printed"]) == [" WHOLE COUNTRY", "Red River Delta", "Mekong River Delta"]
    assert list(agg["area_type"]) == ["country", "region", "region"]
    assert list(agg["province_code"].fillna("")) == ["", "RRD", "MRD"]
    country = single.aggregates[single.aggregates["area_type"] == "country"]
    assert records(country[["year", "value"]]) == [(2013, 101.5), (2014, None), (2015, 103.0)]


def test_accounting_balances(single):
    acc = single.accounting
    assert (acc.lines_in_file, acc.title_lines, acc.blank_lines, acc.header_lines) == (10, 1, 1, 1)
    assert (acc.rows_read, acc.province_rows, acc.aggregate_rows, acc.rejected_rows) == (7, 4, 3, 0)
    assert acc.cells == 21
    assert acc.missing_cells == sum(line.split(";").count("..") for line in SINGLE)
    assert acc.missing_cells == int(single.data["value"].isna().sum() + single.aggregates["value"].isna().sum())


def test_multi_measure_header(tmp_path):
    table = gso.read_pxweb(write(tmp_path, MULTI))
    quang_nam = table.data[table.data["province_code"] == code("Quảng Nam")]
    assert records(quang_nam[["year", "measure", "status", "value"]]) == [
        (2014, "Total", "final", 12.5), (2015, "Total", "prel", 13.0),
        (2014, "Male", "final", 6.0), (2015, "Male", "prel", None),
    ]
    assert table.measures == ["Male", "Total"]
    assert [c.label for c in table.columns] == ["Total 2014", "Total Prel. 2015", "Male 2014", "Male Prel. 2015"]


@pytest.mark.parametrize("label, expected", [
    ("2012", ("", 2012, "final")),
    ("Total 2015", ("Total", 2015, "final")),
    ("Total Prel. 2016", ("Total", 2016, "prel")),
    ("Male Prel. 2016", ("Male", 2016, "prel")),
    ("Prel. 2016", ("", 2016, "prel")),
    ("Urban  1995", ("Urban", 1995, "final")),
    ("2002 Total", ("Total", 2002, "final")),
    ("Pre.2016", ("", 2016, "prel")),
    ("Total Pre.2016", ("Total", 2016, "prel")),
    ("2008(*) Area of forest", ("Area of forest", 2008, "final")),
    ("Total area", ("Total area", None, "final")),
])
def test_parse_label(label, expected):
    lab = gso.parse_label(label)
    assert (lab.measure, lab.year, lab.status) == expected


@pytest.mark.parametrize("label", ["Total", "FY16", ""])
def test_bad_label_raises(tmp_path, label):
    lines = SINGLE[:2] + [f'"Cities, provincies";"2013";"2014";"{label}"'] + SINGLE[3:]
    with pytest.raises(gso.GsoFormatError, match=r"line 3.*(is not '\[measure\] \[Prel\.\] YYYY'|no year beside)"):
        gso.read_pxweb(write(tmp_path, lines))


@pytest.mark.parametrize("eol, bom", [("\n", True), ("\r", True), ("\r\n", False)])
def test_line_endings_and_bom_do_not_matter(tmp_path, single, eol, bom):
    other = gso.read_pxweb(write(tmp_path, SINGLE, eol=eol, bom=bom, final_eol=False))
    pd.testing.assert_frame_equal(other.data, single.data)
    pd.testing.assert_frame_equal(other.aggregates, single.aggregates)
    assert other.title == single.title
    assert other.accounting == single.accounting


def test_unknown_names_raise_with_full_list(tmp_path):
    lines = SINGLE + ['"Atlantis";1;2;3', '"Thai Nguyem";1;2;3']
    with pytest.raises(gso.UnknownNamesError) as err:
        gso.read_pxweb(write(tmp_path, lines))
    msg = str(err.value)
    assert "widgets.csv, line 11: 'Atlantis'" in msg
    assert "widgets.csv, line 12: 'Thai Nguyem'" in msg and "Thái Nguyên" in msg
    assert list(err.value.rejected["line"]) == [11, 12]


def test_unknown_names_collected_when_not_strict(tmp_path):
    lines = SINGLE + ['"Atlantis";1;2;3']
    table = gso.read_pxweb(write(tmp_path, lines), strict=False)
    assert list(table.rejected["name_as_printed"]) == ["Atlantis"]
    assert list(table.rejected["line"]) == [11]
    assert table.rejected["message"].str.contains("Atlantis").all()
    acc = table.accounting
    assert (acc.rows_read, acc.province_rows, acc.aggregate_rows, acc.rejected_rows) == (8, 4, 3, 1)
    assert "Atlantis" not in set(table.data["name_as_printed"])


@pytest.mark.parametrize("cell", ["abc", "", "-", "1.2.3", "105,8"])
def test_unreadable_value_names_line_and_column(tmp_path, cell):
    lines = SINGLE[:5] + [f'"Ha Noi";110.2;{cell};..'] + SINGLE[6:]
    with pytest.raises(gso.GsoFormatError, match=r"widgets\.csv, line 6, column '2014'"):
        gso.read_pxweb(write(tmp_path, lines))


def test_ragged_row_raises(tmp_path):
    lines = SINGLE[:5] + ['"Ha Noi";110.2;99.9'] + SINGLE[6:]
    with pytest.raises(gso.GsoFormatError, match=r"line 6: 3 fields where the header \(line 3\) has 4"):
        gso.read_pxweb(write(tmp_path, lines))


def test_duplicate_province_raises(tmp_path):
    lines = SINGLE + ['"Hanoi";1;2;3']
    with pytest.raises(gso.GsoFormatError, match=r"more than once \(line 6: 'Ha Noi'; line 11: 'Hanoi'\)"):
        gso.read_pxweb(write(tmp_path, lines))


def test_duplicate_column_raises(tmp_path):
    lines = SINGLE[:2] + ['"Cities, provincies";"2013";"2014";"2014"'] + SINGLE[3:]
    with pytest.raises(gso.GsoFormatError, match="same measure and year"):
        gso.read_pxweb(write(tmp_path, lines))


def test_missing_title_raises(tmp_path):
    with pytest.raises(gso.GsoFormatError, match="title"):
        gso.read_pxweb(write(tmp_path, SINGLE[2:]))


def test_to_province_stats_single(single):
    stats = gso.to_province_stats(single, "iip")
    assert list(stats.columns) == ["province", "province_code", "year", "iip"]
    expected = single.data.dropna(subset=["value"])
    assert len(stats) == len(expected)
    hanoi = stats[stats["province"] == "Hà Nội"]
    assert records(hanoi[["year", "iip"]]) == [(2013, 110.2), (2014, 99.9)]
    assert stats["iip"].notna().all()


def test_to_province_stats_requires_measure(tmp_path):
    table = gso.read_pxweb(write(tmp_path, MULTI))
    with pytest.raises(ValueError, match="several measures"):
        gso.to_province_stats(table, "population")
    with pytest.raises(ValueError, match="no measure 'Rural'"):
        gso.to_province_stats(table, "population", measure="Rural")
    stats = gso.to_province_stats(table, "population", measure="Total")
    hcm = stats[stats["province_code"] == code("Hồ Chí Minh")]
    assert records(hcm[["year", "population"]]) == [(2014, 80.0), (2015, 81.5)]


# --- every shape of province-level export GSO publishes (hand-written files) ------------------

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "gso_shapes"


def shape(name: str) -> gso.GsoTable:
    return gso.read_pxweb(SHAPES / name)


def test_year_first_labels():
    table = shape("year_first.csv")
    assert table.measures == ["Spring", "Total"]
    assert sorted(set(table.data["year"])) == [2002, 2003]
    nam_dinh = table.data[(table.data["province_code"] == provinces.normalize_province("Nam Định").code)
                          & (table.data["measure"] == "Total") & (table.data["year"] == 2003)]
    assert nam_dinh["value"].tolist() == [162.0]


def test_pre_beside_prel_are_both_preliminary():
    table = shape("pre_and_prel.csv")
    status = {(c.measure, c.year): c.status for c in table.columns}
    assert status == {("Total", 2015): "final", ("Total", 2016): "prel",
                      ("Rural", 2015): "final", ("Rural", 2016): "prel"}


def test_footnote_marks_are_dropped_from_labels():
    table = shape("footnotes.csv")
    assert table.measures == ["Area of forest", "Natural forest"]
    assert [c.label for c in table.columns][0] == "2008(*) Area of forest"


def test_single_column_without_a_year():
    table = shape("no_year.csv")
    assert table.measures == ["Total area"]
    assert table.data["year"].isna().all() and str(table.data["year"].dtype) == "Int64"
    dated = shape("no_year_title_year.csv")
    assert dated.data["year"].tolist() == [2016]


def test_a_stray_latin1_line_is_read_and_counted():
    table = shape("latin1_line.csv")
    assert table.recoded_lines == 1
    assert table.rejected.empty
    names = set(table.data["province_name"])
    assert {"Bình Định", "Quảng Ngãi", "Phú Yên"} <= names


def test_units_not_in_provinces_is_an_aggregate():
    table = shape("unallocated.csv")
    agg = table.aggregates.drop_duplicates("source_row")
    assert dict(zip(agg["name_as_printed"], agg["area_type"]))["Units are not included in provinces"] == "unallocated"
    assert table.accounting.aggregate_rows == 2 and table.accounting.province_rows == 2


def test_a_misspelt_region_is_recognised_but_a_misspelt_province_is_not():
    table = shape("misspelt_region.csv")
    assert table.rejected.empty
    assert "NMM" in set(table.aggregates["province_code"].dropna())
    assert gso.classify_name("Ha Giangg").kind == "rejected"


@pytest.mark.parametrize("label", ["0012", "9999", "Prel. 1066"])
def test_a_year_gso_never_published_is_refused(tmp_path, label):
    """Issue 20: year labels 0012 and 9999 were accepted as official statistics."""
    lines = SINGLE[:2] + [f'"Cities, provincies";"2013";"2014";"{label}"'] + SINGLE[3:]
    with pytest.raises(gso.GsoFormatError, match=r"line 3: column\(s\) .* name a year outside 1990–2035"):
        gso.read_pxweb(write(tmp_path, lines))
