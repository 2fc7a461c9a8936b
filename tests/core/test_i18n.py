import csv
import math
import string

import numpy as np
import pytest

from khuyencong.core import i18n
from khuyencong.core.datasets import PLAN_INDICATORS, PROJECT_STATUSES
from khuyencong.paths import PACKAGE_DATA
from khuyencong.core.vnformat import parse_amount
from khuyencong.core.vnnumber import MONEY_UNITS, parse_number

#: Keys the notebooks and plots rely on (the brief's list).
REQUIRED = [
    "cofunding_ratio", "state_share", "productivity", "productivity_gain", "output_per_worker",
    "state_support", "beneficiary_contribution", "cost_per_trainee", "cost_per_establishment",
    "cost_per_model", "cost_per_product", "plan_attainment", "industrial_growth", "spending_intensity",
    "event_time", "year", "province", "region", "country", "synthetic_note", "real_note", "source_note",
    "boundaries_legacy", "boundaries_2025",
]


def _csv(name):
    with open(PACKAGE_DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_label_has_both_languages_non_empty():
    table = i18n.labels()
    assert table, "no labels loaded"
    for key, (vi, en) in table.items():
        assert vi.strip() and en.strip(), key


def test_labels_csv_rows_have_exactly_three_fields():
    with open(PACKAGE_DATA / "labels.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["key", "vi", "en"]
    assert [r[0] for r in rows[1:] if len(r) != 3] == []  # an unquoted comma shifts the English text


def test_placeholders_match_between_languages():
    fields = lambda s: {n for _, n, _, _ in string.Formatter().parse(s) if n}  # noqa: E731
    for key, (vi, en) in i18n.labels().items():
        assert fields(vi) == fields(en), key


def test_required_keys_present():
    missing = [k for k in REQUIRED if k not in i18n.labels()]
    assert not missing


def test_exact_texts_from_brief():
    assert i18n.t("cofunding_ratio") == "Tỷ lệ đối ứng (đồng đối ứng / 1 đồng ngân sách)"
    assert i18n.t("cofunding_ratio", "en") == "Co-funding ratio (beneficiary VND per VND of state support)"
    assert i18n.t("source_note", "vi", source="GSO") == "Nguồn: GSO"
    assert i18n.t("source_note", "en", source="GSO") == "Source: GSO"
    assert i18n.t("boundaries_2025", "en") == "34-province boundaries (from 1 July 2025)"
    assert "SYNTHETIC" in i18n.t("synthetic_note", "vi") and "SYNTHETIC" in i18n.t("synthetic_note", "en")


def test_categories_and_regions_come_from_their_csv_files():
    for row in _csv("categories.csv"):
        assert i18n.t(f"category.{row['code']}", "vi") == row["name_vi"]
        assert i18n.t(f"category.{row['code']}", "en") == row["name_en"]
    regions = _csv("regions.csv")
    assert len(regions) == 6
    for row in regions:
        assert i18n.t(f"region.{row['code']}", "vi") == row["name"]
        assert i18n.t(f"region.{row['code']}", "en") == row["name_en"]


def test_plan_indicators_and_statuses_come_from_datasets():
    for code, vi, en in PLAN_INDICATORS:
        assert (i18n.t(f"plan_indicator.{code}"), i18n.t(f"plan_indicator.{code}", "en")) == (vi, en)
    for code, vi, en in PROJECT_STATUSES:
        assert (i18n.t(f"status.{code}"), i18n.t(f"status.{code}", "en")) == (vi, en)


def test_labels_csv_does_not_copy_category_names():
    own = {r["vi"] for r in _csv("labels.csv")}
    assert not own & {r["name_vi"] for r in _csv("categories.csv")}


def test_unknown_key_suggests_close_keys():
    with pytest.raises(KeyError, match="cofunding_ratio"):
        i18n.t("cofunding_rato")


@pytest.mark.parametrize("lang", ["fr", "VI", "", None])
def test_bad_lang_raises_value_error(lang):
    with pytest.raises(ValueError, match="'vi'"):
        i18n.t("year", lang)
    with pytest.raises(ValueError):
        i18n.fmt_number(1.5, lang)


def test_placeholder_mismatch_is_an_error():
    with pytest.raises(TypeError, match="source"):
        i18n.t("source_note", "vi")
    with pytest.raises(TypeError, match="extra"):
        i18n.t("year", "vi", extra=1)


@pytest.mark.parametrize("x, decimals, vi, en", [
    (3.64, None, "3,64", "3.64"),
    (29229.2, None, "29.229,2", "29,229.2"),
    (29229.2, 1, "29.229,2", "29,229.2"),
    (-1234567.891, 2, "-1.234.567,89", "-1,234,567.89"),
    (np.int64(1000), None, "1.000", "1,000"),
])
def test_fmt_number(x, decimals, vi, en):
    assert i18n.fmt_number(x, "vi", decimals) == vi
    assert i18n.fmt_number(x, "en", decimals) == en


def test_fmt_number_round_trips_through_the_parsers():
    rng = np.random.default_rng(0)
    for x in rng.uniform(-1e7, 1e7, 50).round(3):
        assert parse_number(i18n.fmt_number(float(x), "vi"), decimal=",") == pytest.approx(x)
        assert parse_number(i18n.fmt_number(float(x), "en"), decimal=".") == pytest.approx(x)


def test_fmt_pct_scales_fractions_without_float_noise():
    assert i18n.fmt_pct(0.15, "vi") == "15,0%"
    assert i18n.fmt_pct(0.15, "en", decimals=None) == "15%"
    assert i18n.fmt_pct(0.4, "vi", decimals=None) == "40%"
    assert i18n.fmt_pct(0.1234, "en", decimals=2) == "12.34%"
    with pytest.raises(ValueError, match="non-finite"):
        i18n.fmt_pct(math.nan)
    with pytest.raises(TypeError):
        i18n.fmt_pct("15%")


def test_fmt_money_auto_unit_rule():
    assert i18n.fmt_money(29229.2, "vi") == "29.229,2 triệu đồng"
    assert i18n.fmt_money(29229.2, "en") == "29,229.2 million VND"
    assert i18n.fmt_money(6700, "vi") == "6,7 tỷ đồng"
    assert i18n.fmt_money(6700, "en") == "6.7 billion VND"
    assert i18n.fmt_money(0.5, "en") == "500,000 VND"


def test_fmt_money_vi_is_lossless():
    for x in (29229.2, 6700, 1.5e6, 0.25, 123456.789):
        amount = parse_amount(i18n.fmt_money(x, "vi"))
        assert (amount.value, amount.unit) == (pytest.approx(x), "million VND")


def test_fmt_money_fixed_unit():
    assert i18n.fmt_money(1234567.891, "vi", decimals=1, unit="billion") == "1.234,6 tỷ đồng"
    assert i18n.fmt_money(1234567.891, "en", decimals=1, unit="billion") == "1,234.6 billion VND"
    assert i18n.fmt_money(6700, "en", unit="million") == "6,700 million VND"
    with pytest.raises(ValueError, match="unit"):
        i18n.fmt_money(1, "vi", unit="tỷ")


def test_unit_labels_match_vnformat_money_words():
    vi_units = {i18n.t(k) for k in ("unit_trillion_vnd", "unit_billion_vnd", "unit_million_vnd", "unit_vnd")}
    assert vi_units == {words for words, _ in MONEY_UNITS}


def test_every_namespace_has_a_bare_label_for_legend_titles():
    prefixes = {key.split(".", 1)[0] for key in i18n.labels() if "." in key}
    assert {"category", "region", "plan_indicator", "status", "funding_source", "derived", "col"} <= prefixes
    assert all(p in i18n.labels() for p in prefixes)
