"""Tests for khuyencong.core.vnformat and vnnumber: Vietnamese figures, table cells and formatting."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.shared import shared_file
from khuyencong.core.vnformat import Amount, parse_amount
from khuyencong.core.vnnumber import (
    AmbiguousNumberError,
    format_money_vn,
    format_vn,
    parse_number,
    parse_number_series,
)

M = "million VND"

# text, decimal, value, low, high, unit, noun, qualifier
AMOUNT_CASES = [
    ("29.229,2 triệu đồng", None, 29229.2, 29229.2, 29229.2, M, None, "exact"),
    ("gần 6,7 tỷ đồng", None, 6700, 6700, 6700, M, None, "approx"),
    ("20.253,331 triệu đồng", None, 20253.331, 20253.331, 20253.331, M, None, "exact"),
    ("trên 10 tỷ đồng", None, 10000, 10000, 10000, M, None, "over"),
    ("15 - 40%", None, None, 15, 40, "percent", None, "exact"),
    ("15-40 %", None, None, 15, 40, "percent", None, "exact"),
    ("15% - 40%", None, None, 15, 40, "percent", None, "exact"),
    ("15–40%", None, None, 15, 40, "percent", None, "exact"),
    ("từ 15 đến 40 phần trăm", None, None, 15, 40, "percent", None, "exact"),
    ("82,49%", None, 82.49, 82.49, 82.49, "percent", None, "exact"),
    ("3 - 5 triệu đồng/người/tháng", None, None, 3, 5, "million VND/person/month", None, "exact"),
    ("trên 3 - 5 triệu đồng/tháng", None, None, 3, 5, "million VND/month", None, "over"),
    ("3 triệu - 1,5 tỷ đồng", None, None, 3, 1500, M, None, "exact"),
    ("1.109 lượt", None, 1109, 1109, 1109, "count", "lượt", "exact"),
    ("4.875 lao động", None, 4875, 4875, 4875, "count", "lao động", "exact"),
    ("khoảng 2.520 Lao Động", None, 2520, 2520, 2520, "count", "lao động", "approx"),
    ("1.410 học viên", None, 1410, 1410, 1410, "count", "học viên", "exact"),
    ("220 đề án", None, 220, 220, 220, "count", "đề án", "exact"),
    ("hơn 3.209 cơ sở", None, 3209, 3209, 3209, "count", "cơ sở", "over"),
    ("46 sản phẩm", None, 46, 46, 46, "count", "sản phẩm", "exact"),
    ("2 triệu lượt", None, 2e6, 2e6, 2e6, "count", "lượt", "exact"),
    ("1.109 lượt trở lên", None, 1109, 1109, 1109, "count", "lượt", "over"),
    ("gần 94 tỷ đồng", None, 94000, 94000, 94000, M, None, "approx"),
    ("3,9 tỷ đồng", None, 3900, 3900, 3900, M, None, "exact"),
    ("500 nghìn đồng", None, 0.5, 0.5, 0.5, M, None, "exact"),
    ("500 ngàn đồng", None, 0.5, 0.5, 0.5, M, None, "exact"),
    ("500.000 đồng", None, 0.5, 0.5, 0.5, M, None, "exact"),
    ("500.000 VNĐ", None, 0.5, 0.5, 0.5, M, None, "exact"),
    ("1,2 triệu đồng", None, 1.2, 1.2, 1.2, M, None, "exact"),
    ("2 nghìn tỷ đồng", None, 2e6, 2e6, 2e6, M, None, "exact"),
    ("7.456,43 trđ", None, 7456.43, 7456.43, 7456.43, M, None, "exact"),
    ("10 tỷ đồng/năm", None, 10000, 10000, 10000, "million VND/year", None, "exact"),
    ("10 tỷ đồng trở lên", None, 10000, 10000, 10000, M, None, "over"),
    ("5 triệu USD", None, 5e6, 5e6, 5e6, "USD", None, "exact"),
    ("1,5 USD", None, 1.5, 1.5, 1.5, "USD", None, "exact"),
    ("07 năm", None, 7, 7, 7, "year", None, "exact"),
    ("tăng 25,2%/năm", None, 25.2, 25.2, 25.2, "percent/year", None, "exact"),
    ("đạt 61,3%", None, 61.3, 61.3, 61.3, "percent", None, "exact"),
    ("xấp xỉ 5%", None, 5, 5, 5, "percent", None, "approx"),
    ("trên dưới 5%", None, 5, 5, 5, "percent", None, "approx"),
    ("hơn kém 5%", None, 5, 5, 5, "percent", None, "approx"),
    ("ước tính 5%", None, 5, 5, 5, "percent", None, "approx"),
    ("ngoài 5%", None, 5, 5, 5, "percent", None, "over"),
    ("dưới 5%", None, 5, 5, 5, "percent", None, "under"),
    ("chưa đến 5%", None, 5, 5, 5, "percent", None, "under"),
    ("không quá 5%", None, 5, 5, 5, "percent", None, "under"),
    ("  Gần  94\u00a0Tỷ Đồng ", None, 94000, 94000, 94000, M, None, "approx"),
    ("−2,5%", None, -2.5, -2.5, -2.5, "percent", None, "exact"),
    ("3.00E+05", None, 300000, 300000, 300000, None, None, "exact"),
    ("1.234", None, 1234, 1234, 1234, None, None, "exact"),
    ("1,234", None, 1.234, 1.234, 1.234, None, None, "exact"),
    ("105.8", ".", 105.8, 105.8, 105.8, None, None, "exact"),
    ("1,234.5", ".", 1234.5, 1234.5, 1234.5, None, None, "exact"),
    ("12,5 %", ",", 12.5, 12.5, 12.5, "percent", None, "exact"),
    ("5 triệu", None, 5e6, 5e6, 5e6, None, None, "exact"),
]


@pytest.mark.parametrize(
    "text, decimal, value, low, high, unit, noun, qualifier",
    AMOUNT_CASES,
    ids=[c[0] for c in AMOUNT_CASES],
)
def test_parse_amount_table(text, decimal, value, low, high, unit, noun, qualifier):
    a = parse_amount(text, decimal=decimal)
    assert a == Amount(
        None if value is None else float(value), float(low), float(high), unit, noun, qualifier, text
    )
    assert a.is_range == (value is None)


@pytest.mark.parametrize("text", ["", "..", "...", "…", "-", "–", "  ..  "])
def test_missing_markers(text):
    a = parse_amount(text)
    assert (a.value, a.low, a.high, a.unit, a.noun, a.qualifier) == (None, None, None, None, None, "missing")
    assert a.is_missing and a.text == text
    assert parse_number(text) is None


@pytest.mark.parametrize("text", ["105.8", "1,234.5", "1.23.4", "12.34", "0.5", "1.2345 tỷ đồng"])
def test_ambiguous_numbers_refused_by_default(text):
    with pytest.raises(AmbiguousNumberError) as err:
        parse_amount(text)
    message = str(err.value)
    assert repr(text) in message and "decimal='.'" in message and "decimal=','" in message
    with pytest.raises(AmbiguousNumberError, match="decimal='.'"):
        parse_number(text.split()[0], decimal=None)


@pytest.mark.parametrize("text", ["105.8", "12.34", "1,234.5"])
def test_explicit_vietnamese_rejects_english_without_ambiguity_error(text):
    with pytest.raises(ValueError, match="decimal='.'") as err:
        parse_number(text, decimal=",")
    assert not isinstance(err.value, AmbiguousNumberError)
    with pytest.raises(ValueError, match="not a Vietnamese-format number"):
        parse_amount(text, decimal=",")


@pytest.mark.parametrize("text", ["1.234,5", "1,2,3", "12,34.5"])
def test_explicit_english_rejects_vietnamese(text):
    with pytest.raises(ValueError, match="not an English-format number"):
        parse_number(text, decimal=".")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("abc", "no number"),
        ("tỷ đồng", "no number"),
        ("12abc", "cannot read"),
        ("82,49% kế hoạch", "cannot read"),
        ("5 tỷ đồng vốn", "cannot read"),
        ("5 - ", "cannot read"),
        ("5 - 3%", "low end"),
        ("15% - 40 đồng", "different units"),
        ("5 triệu %", "multiplier"),
        ("5 tỷ đồng/quý", "unknown rate denominator"),
        ("5 /năm", "needs a unit"),
        ("giảm 5%", "giảm"),
        ("từ 5%", "từ"),
        ("gần 5% trở lên", "qualifier"),
        ("1..2", "ambiguous"),
    ],
)
def test_garbage_raises_naming_text(text, fragment):
    with pytest.raises(ValueError) as err:
        parse_amount(text)
    assert repr(text) in str(err.value)
    assert fragment in str(err.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match="decimal must be"):
        parse_amount("5", decimal=";")
    with pytest.raises(TypeError):
        parse_amount(5)
    with pytest.raises(TypeError):
        parse_number(True)
    with pytest.raises(ValueError, match="non-finite"):
        format_vn(float("nan"))
    with pytest.raises(ValueError, match="decimals"):
        format_vn(1.5, -1)


@pytest.mark.parametrize(
    "text, decimal, expected",
    [
        ("1.234,5", ",", 1234.5),
        (" 29.229,2 ", ",", 29229.2),
        ("-551768.814", ".", -551768.814),
        ("3.00E+05", ",", 300000.0),
        ("3.00E+05", ".", 300000.0),
        ("007", ",", 7.0),
        ("−2,5", ",", -2.5),
        ("1,234,567.5", ".", 1234567.5),
        ("..", ".", None),
        (12, ",", 12.0),
        (2.5, ",", 2.5),
        (float("nan"), ",", None),
    ],
)
def test_parse_number(text, decimal, expected):
    assert parse_number(text, decimal=decimal) == expected


def test_parse_number_rejects_overflow_and_garbage():
    with pytest.raises(ValueError, match="overflow"):
        parse_number("1e999")
    with pytest.raises(ValueError, match="'abc'"):
        parse_number("abc")


@pytest.mark.parametrize(
    "x, decimals, expected",
    [
        (29229.2, None, "29.229,2"),
        (20253.331, None, "20.253,331"),
        (1234567, None, "1.234.567"),
        (2e6, None, "2.000.000"),
        (-6700.5, None, "-6.700,5"),
        (0.5, None, "0,5"),
        (-0.0, None, "0"),
        (1.5e-7, None, "0,00000015"),
        (29229.2, 2, "29.229,20"),
        (2.675, 2, "2,67"),  # binary 2.67499..., like round()
        (1234.5, 0, "1.234"),  # half-even
        (7, 3, "7,000"),
        (np.int64(4875), None, "4.875"),
        (np.float64(82.49), None, "82,49"),
    ],
)
def test_format_vn(x, decimals, expected):
    assert format_vn(x, decimals) == expected


@pytest.mark.parametrize(
    "million_vnd, expected",
    [
        (29229.2, "29.229,2 triệu đồng"),
        (6700, "6,7 tỷ đồng"),
        (20253.331, "20.253,331 triệu đồng"),
        (94000, "94 tỷ đồng"),
        (1234, "1,234 tỷ đồng"),
        (0.5, "500.000 đồng"),
        (1.2, "1,2 triệu đồng"),
        (2e6, "2 nghìn tỷ đồng"),
        (-6700, "-6,7 tỷ đồng"),
        (0, "0 triệu đồng"),
        (0.1 + 0.2, "0,30000000000000004 triệu đồng"),
    ],
)
def test_format_money_vn(million_vnd, expected):
    assert format_money_vn(million_vnd) == expected


# --- properties ------------------------------------------------------------------------

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
places = st.integers(min_value=0, max_value=3)


@given(finite, places)
def test_format_then_parse_rounds_like_round(x, d):
    x = round(x, d)
    assert parse_amount(format_vn(x, d)).value == round(x, d)
    assert parse_number(format_vn(x, d)) == round(x, d)


@given(finite)
def test_format_shortest_then_parse_is_exact(x):
    assert parse_amount(format_vn(x)).value == x


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_integers_round_trip(n):
    text = format_vn(n)
    assert parse_amount(text).value == float(n)
    assert "," not in text


@given(finite, places)
def test_money_round_trip(x, d):
    expected = round(x, d)
    a = parse_amount(format_money_vn(x, d))
    assert a.unit == "million VND" and a.qualifier == "exact"
    assert math.isclose(a.value, expected, rel_tol=1e-15, abs_tol=0)
    assert parse_amount(format_money_vn(x)).value == x


def _vn(x: float) -> str:
    return format_vn(x)


def _en(x: float) -> str:
    return f"{x:,}"


cells = st.one_of(
    st.sampled_from(["", "..", "…", "-", " - ", "—", "3.00E+05", "105.8", "1.234", "1,234.5", "abc"]),
    finite.map(_vn),
    finite.map(_en),
    finite.map(lambda x: f"{x:.2E}"),
    st.integers(-(10**9), 10**9).map(str),
    st.text(alphabet="0123456789.,-+eE \u00a0\u2212", max_size=12),
    st.none(),
)


def _scalar(cell, decimal):
    if cell is None:
        return math.nan, False
    try:
        value = parse_number(cell, decimal=decimal)
    except ValueError:
        return math.nan, True
    return (math.nan if value is None else value), False


@settings(max_examples=60)
@given(st.lists(cells, max_size=40), st.sampled_from([None, ",", "."]))
def test_series_matches_scalar(values, decimal):
    series = pd.Series(values, dtype="str")
    parsed, failed = parse_number_series(series, decimal=decimal)
    expected = [_scalar(v, decimal) for v in values]
    assert parsed.dtype == "float64" and failed.dtype == bool
    assert failed.tolist() == [f for _, f in expected]
    np.testing.assert_array_equal(parsed.to_numpy(), np.array([v for v, _ in expected], dtype=float))
    obj_parsed, obj_failed = parse_number_series(series.astype(object), decimal=decimal)
    np.testing.assert_array_equal(obj_parsed.to_numpy(), parsed.to_numpy())
    assert obj_failed.tolist() == failed.tolist()


def test_series_passthrough_and_mixed_object():
    ints = pd.Series([1, 2, 3], name="n", index=[10, 11, 12])
    values, failed = parse_number_series(ints)
    assert values.dtype == "float64" and values.tolist() == [1.0, 2.0, 3.0]
    assert not failed.any() and values.index.tolist() == [10, 11, 12]
    mixed = pd.Series(["1,5", 2.5, 3, None, np.nan, "x"], dtype=object)
    values, failed = parse_number_series(mixed)
    np.testing.assert_array_equal(values.to_numpy(), [1.5, 2.5, 3.0, np.nan, np.nan, np.nan])
    assert failed.tolist() == [False, False, False, False, False, True]
    with pytest.raises(TypeError, match="non-string"):
        parse_number_series(pd.Series(["1", object()], dtype=object))
    with pytest.raises(TypeError):
        parse_number_series(pd.Series([True, False]))
    with pytest.raises(TypeError, match="dtype"):
        parse_number_series(pd.Series(pd.to_datetime(["2020-01-01"])))


@pytest.mark.parametrize("dtype", ["str", "string[python]", "string[pyarrow]", "category", object])
def test_series_string_dtypes(dtype):
    series = pd.Series(["1.234,5", None, "..", "x"], dtype=dtype)
    values, failed = parse_number_series(series)
    np.testing.assert_array_equal(values.to_numpy(), [1234.5, np.nan, np.nan, np.nan])
    assert failed.tolist() == [False, False, False, True]


def test_series_is_vectorised_fast():
    cells = pd.Series(["1.234.567,89", "..", "3.00E+05", "42"] * 50_000)
    start = time.perf_counter()
    values, failed = parse_number_series(cells)
    elapsed = time.perf_counter() - start
    assert not failed.any() and values.iloc[0] == 1234567.89
    assert elapsed < 1.0, f"{len(cells)} cells took {elapsed:.2f}s; expected a vectorised path"


# --- real files from ../shared --------------------------------------------------------


def _shared_file(relative: str):
    return shared_file(*relative.split("/"))


@pytest.mark.shared
def test_gso_index_file_parses_with_english_decimal():
    path = _shared_file("gso/Index of Industrial production by province.csv")
    table = pd.read_csv(path, sep=";", skiprows=2, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in table.columns[1:]:
        values, failed = parse_number_series(table[column], decimal=".")
        assert not failed.any(), table.loc[failed, column].tolist()
        assert values.isna().equals(table[column].eq(".."))
        _, failed_vn = parse_number_series(table[column], decimal=None)
        assert failed_vn.any()  # English decimals must not be read silently as Vietnamese


@pytest.mark.shared
def test_mof_budget_file_parses_with_english_decimal():
    path = _shared_file("mof/Vietnam_National_Budget_Final.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    values, failed = parse_number_series(table["total.rev"], decimal=".")
    assert not failed.any()
    sci = table["total.rev"].str.contains("E")
    assert sci.any()
    assert values[sci].tolist() == [float(v) for v in table.loc[sci, "total.rev"]]


def test_printed_forms_of_the_record():
    """Issue 21: figures as printed, not shortened to what the parser used to read."""
    both = parse_amount("20 chương trình, đề án")
    assert (both.value, both.unit, both.noun) == (20.0, "count", "chương trình, đề án")
    capital = parse_amount("02 Đề án")
    assert (capital.value, capital.noun) == (2.0, "đề án")
    part = parse_amount("7/9 nội dung")
    assert (part.value, part.of, part.noun) == (7.0, 9.0, "nội dung")
    assert parse_amount("7 nội dung").of is None
    with pytest.raises(ValueError, match="more than the whole"):
        parse_amount("9/7 nội dung")
    with pytest.raises(ValueError, match="counted noun"):
        parse_amount("7/9 tỷ đồng")
