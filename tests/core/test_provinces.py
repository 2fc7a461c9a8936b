"""Tests for khuyencong.core.provinces: registry integrity, spellings, 63 → 34 mapping, rebasing."""
from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures.shared import shared_file
from khuyencong.core import provinces as P
from khuyencong.core.rebase import rebase_to_2025

# ------------------------------------------------------------------ registry integrity


def test_counts():
    assert len(P.legacy_provinces()) == 63
    assert len(P.legacy_provinces(include_ha_tay=True)) == 64
    assert len(P.provinces_2025()) == 34
    assert len(P.regions()) == 6


def test_codes_unique_and_two_digit():
    for records in (P.legacy_provinces(include_ha_tay=True), P.provinces_2025()):
        codes = [p.code for p in records]
        assert len(codes) == len(set(codes))
        assert all(len(c) == 2 and c.isdigit() for c in codes)


def test_names_unique_and_ascii_consistent():
    for records in (P.legacy_provinces(include_ha_tay=True), P.provinces_2025()):
        assert len({p.name for p in records}) == len(records)
        for p in records:
            assert p.name_ascii == P.strip_diacritics(p.name)
            assert p.name_ascii.isascii() and p.name_en.isascii()
            assert unicodedata.is_normalized("NFC", p.name)


def test_every_legacy_maps_to_exactly_one_2025_province():
    new_codes = {p.code for p in P.provinces_2025()}
    for p in P.legacy_provinces(include_ha_tay=True):
        assert p.new_code in new_codes, p
        assert P.to_2025(p).code == p.new_code


def test_components_partition_the_63():
    seen: list[str] = []
    for new in P.provinces_2025():
        parts = P.merged_from(new.code)
        assert parts, f"{new.name} has no legacy component"
        seen += [p.code for p in parts]
    assert sorted(seen) == sorted(p.code for p in P.legacy_provinces())


def test_2025_rows_have_no_new_code_and_legacy_rows_do():
    assert all(p.new_code is None and p.boundaries == "2025" for p in P.provinces_2025())
    assert all(p.new_code and p.boundaries == "legacy" for p in P.legacy_provinces())


@pytest.mark.parametrize(
    "legacy, new",
    [("24", "24"), ("27", "24"), ("94", "92"), ("93", "92"), ("92", "92"), ("10", "15"), ("15", "15"),
     ("72", "80"), ("80", "80"), ("82", "82"), ("87", "82"), ("89", "91"), ("91", "91"), ("64", "52"),
     ("52", "52"), ("44", "44"), ("45", "44"), ("46", "46"), ("26", "25"), ("17", "25"), ("62", "51"),
     ("54", "66"), ("60", "68"), ("67", "68"), ("74", "79"), ("77", "79"), ("70", "75"), ("58", "56"),
     ("30", "31"), ("34", "33"), ("35", "37"), ("36", "37"), ("02", "08"), ("06", "19"), ("49", "48"),
     ("83", "86"), ("84", "86"), ("95", "96")],
)
def test_tricky_new_codes(legacy, new):
    assert P.get(legacy).new_code == new


def test_new_bac_ninh_takes_bac_giang_code():
    assert P.normalize_province("Bắc Ninh", boundaries="2025").code == "24"
    assert P.normalize_province("Bắc Ninh").code == "27"
    assert P.normalize_province("Bắc Giang").code == "24"
    assert P.to_2025("Bắc Giang").name == "Bắc Ninh"
    assert {p.name for p in P.merged_from("24")} == {"Bắc Giang", "Bắc Ninh"}


def test_soc_trang_to_can_tho():
    assert P.get("94").name == "Sóc Trăng"
    assert P.to_2025("Sóc Trăng").code == "92"
    assert {p.code for p in P.merged_from("92")} == {"92", "93", "94"}


def test_ha_tay_is_historic_and_maps_to_ha_noi():
    ha_tay = P.normalize_province("Hà Tây")
    assert ha_tay.code == "28" and ha_tay.valid_to == "2008-07-31" and ha_tay.successor_code == "01"
    assert ha_tay not in P.legacy_provinces()
    assert P.to_2025(ha_tay).name == "Hà Nội"
    assert [p.code for p in P.merged_from("01", include_ha_tay=True)] == ["01", "28"]


UNCHANGED = ["01", "04", "11", "12", "14", "20", "22", "38", "40", "42", "46"]


@pytest.mark.parametrize("code", UNCHANGED)
def test_unchanged_provinces_map_to_themselves(code):
    assert [p.code for p in P.merged_from(code)] == [code]
    assert P.get(code).new_code == code


def test_exactly_eleven_unchanged():
    assert sorted(n.code for n in P.provinces_2025() if len(P.merged_from(n.code)) == 1) == UNCHANGED


def test_regions_have_vi_and_en_names():
    reg = P.regions().set_index("code")
    assert reg.loc["RRD", "name_en"] == "Red River Delta"
    assert reg.loc["MRD", "name"] == "Đồng bằng sông Cửu Long"
    for p in P.legacy_provinces() + P.provinces_2025():
        assert p.region_code in reg.index and p.region_name == reg.loc[p.region_code, "name"]


def test_region_sizes_legacy():
    counts = pd.Series([p.region_code for p in P.legacy_provinces()]).value_counts().to_dict()
    assert counts == {"RRD": 11, "NMM": 14, "NCC": 14, "CH": 5, "SE": 6, "MRD": 13}


def test_mixed_region_mergers_are_noted():
    for new in P.provinces_2025():
        component_regions = {p.region_code for p in P.merged_from(new.code)}
        assert new.region_code in component_regions
        assert (len(component_regions) > 1) == (new.region_note is not None), new.name


def test_registry_frame():
    legacy = P.registry_frame("legacy")
    assert len(legacy) == 63 and legacy["code"].is_unique
    assert len(P.registry_frame("legacy", include_ha_tay=True)) == 64
    new = P.registry_frame("2025")
    assert len(new) == 34
    assert new.set_index("code").loc["24", "components"] == "24;27"
    with pytest.raises(ValueError, match="boundaries"):
        P.registry_frame("1976")


# ------------------------------------------------------------------ spellings

SPELLINGS = [
    ("Hà Nội", "01"), ("ha noi", "01"), ("HANOI", "01"), ("Thành phố Hà Nội", "01"), ("TP. Hà Nội", "01"),
    ("Ho Chi Minh City", "79"), ("HCMC", "79"), ("TP HCM", "79"), ("TP.HCM", "79"), ("Saigon", "79"),
    ("Sai Gon", "79"), ("Sài Gòn", "79"), ("Tp. Hồ Chí Minh", "79"), ("T.P Hồ Chí Minh", "79"),
    ("Ho Chi Minh city", "79"), ("Thành phố Hồ Chí Minh", "79"),
    ("Thừa Thiên - Huế", "46"), ("Thừa Thiên-Huế", "46"), ("Thua Thien-Hue", "46"), ("Thua Thien Hue", "46"),
    ("Hue", "46"), ("Huế", "46"),
    ("Ba Ria - Vung Tau", "77"), ("Ba Ria Vung Tau", "77"), ("Bà Rịa–Vũng Tàu", "77"), ("BR-VT", "77"),
    ("Thai  Nguyen", "19"), (" Thái Nguyên ", "19"), ("Quang  Nam", "49"), ("Khanh  Hoa", "56"),
    ("Tỉnh Bắc Giang", "24"), ("TỈNH BẮC GIANG", "24"), ("Bac Giang Province", "24"), ("bac giang", "24"),
    ("24", "24"), ("1", "01"), ("Hòa Bình", "17"), ("Hoà Bình", "17"), ("Hoa Binh", "17"),
    ("Thanh Hóa", "38"), ("Thanh Hoá", "38"), ("Khánh Hòa", "56"), ("Khánh Hoà", "56"),
    ("Đắk Lắk", "66"), ("Đắc Lắc", "66"), ("Dak Lak", "66"), ("Daklak", "66"), ("Đăk Lăk", "66"),
    ("Đắk Nông", "67"), ("Dak Nong", "67"), ("Kon Tum", "62"), ("Kontum", "62"),
    ("Bắc Kạn", "06"), ("Bắc Cạn", "06"), ("Bac Kan", "06"), ("Đà Nẵng", "48"), ("Da Nang", "48"),
    ("Danang", "48"), ("ĐÀ NẴNG", "48"), ("đà nẵng", "48"), ("Hai Phong", "31"), ("Haiphong", "31"),
    ("Thành phố Cần Thơ", "92"), ("Can Tho City", "92"), ("Sóc Trăng", "94"), ("Soc Trang", "94"),
    ("Hà Tây", "28"), ("Ha Tay", "28"),
]


@pytest.mark.parametrize("text, code", SPELLINGS)
def test_spelling_variants(text, code):
    assert P.normalize_province(text).code == code


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_unicode_forms(form):
    assert P.normalize_province(unicodedata.normalize(form, "Đắk Lắk")).code == "66"
    assert P.normalize_province(unicodedata.normalize(form, "Bà Rịa - Vũng Tàu")).code == "77"


def test_integer_code():
    assert P.normalize_province(24).name == "Bắc Giang"
    assert P.get(27).name == "Bắc Ninh"


@pytest.mark.parametrize("text, code", [("Huế", "46"), ("Thừa Thiên Huế", "46"), ("HCMC", "79"),
                                        ("Bắc Ninh", "24"), ("Lao Cai", "15"), ("Tay Ninh", "80"),
                                        ("An Giang", "91"), ("Gia Lai", "52"), ("Quảng Trị", "44"), ("92", "92")])
def test_2025_spellings(text, code):
    assert P.normalize_province(text, boundaries="2025").code == code


@pytest.mark.parametrize("text, successor", [("Sóc Trăng", "92"), ("Bac Giang", "24"), ("Yên Bái", "15"),
                                             ("Long An", "80"), ("Hà Tây", "01"), ("94", "92"), ("27", "24")])
def test_legacy_only_names_on_2025_boundaries_raise(text, successor):
    with pytest.raises(P.MergedProvinceError) as info:
        P.normalize_province(text, boundaries="2025")
    assert info.value.successor.code == successor
    assert f"(code {successor})" in str(info.value) and "to_2025" in str(info.value)


def test_soc_trang_message_on_2025():
    with pytest.raises(ValueError, match=r"merged into Cần Thơ \(code 92\) on 1 July 2025"):
        P.normalize_province("Sóc Trăng", boundaries="2025")


def test_unknown_raises_with_suggestions_never_guesses():
    with pytest.raises(P.UnknownProvinceError) as info:
        P.normalize_province("Bac Giag")
    assert isinstance(info.value, ValueError)
    assert info.value.suggestions[0] == "Bắc Giang"
    assert "Bắc Giang" in str(info.value)


@pytest.mark.parametrize("text", ["Atlantis", "", "   ", "TP", "Tỉnh", "Bac", "99", "123", "Nam"])
def test_unknown_inputs(text):
    with pytest.raises(P.UnknownProvinceError):
        P.normalize_province(text)


def test_repeated_errors_are_fresh_each_time():
    for _ in range(3):
        with pytest.raises(P.UnknownProvinceError):
            P.normalize_province("Bac Giag")


def test_bad_type_and_bad_boundaries():
    with pytest.raises(TypeError):
        P.normalize_province(24.0)
    with pytest.raises(ValueError, match="boundaries"):
        P.normalize_province("Hà Nội", boundaries="2024")
    with pytest.raises(ValueError, match="GSO code"):
        P.get("Bắc Giang")


# ------------------------------------------------------------------ regions and country

REGION_TEXTS = [
    "Red River Delta", "RED RIVER  DELTA", "Đồng bằng sông Hồng", "Dong bang song Hong",
    "Northern midlands and mountain areas", "Trung du và miền núi phía Bắc",
    "North Central and Central coastal areas", "Northern Central area and Central coastal area",
    "Bắc Trung Bộ và duyên hải miền Trung", "Central Highlands", "Tây Nguyên", "Tay Nguyen",
    "South East", "Đông Nam Bộ", "Mekong River Delta", "Đồng bằng sông Cửu Long",
    "WHOLE COUNTRY", " WHOLE COUNTRY", "whole  country", "Cả nước", "CA NUOC", "Toàn quốc",
]


@pytest.mark.parametrize("text", REGION_TEXTS)
def test_regions_and_country_are_not_provinces(text):
    assert P.is_region_or_country(text)
    with pytest.raises(P.NotAProvinceError):
        P.normalize_province(text)


@pytest.mark.parametrize("text", ["Hà Nội", "Thái Nguyên", "Tây Ninh", "Đồng Nai", "Nam Định", "24"])
def test_provinces_are_not_regions(text):
    assert not P.is_region_or_country(text)


def test_no_region_spelling_collides_with_a_province():
    for text in REGION_TEXTS:
        with pytest.raises(P.ProvinceError):
            P.normalize_province(text, boundaries="2025")


# ------------------------------------------------------------------ normalize_series


def test_normalize_series_maps_and_reports():
    s = pd.Series(["Hà Nội", "Ha Noi", "Bac Giag", None, "Red River Delta", "24", "Hà Nội"],
                  index=[10, 11, 12, 13, 14, 15, 16], name="prov")
    codes, errors = P.normalize_series(s)
    assert codes.name == "prov" and list(codes.index) == list(s.index)
    assert codes.tolist()[:2] == ["01", "01"] and codes[15] == "24" and codes[16] == "01"
    assert pd.isna(codes[12]) and pd.isna(codes[13]) and pd.isna(codes[14])
    assert list(errors.columns) == ["row", "value", "message", "suggestions"]
    assert errors["row"].tolist() == [12, 14]
    assert "Bắc Giang" in errors.loc[errors["row"] == 12, "suggestions"].item()


def test_normalize_series_2025_reports_merged():
    codes, errors = P.normalize_series(pd.Series(["Sóc Trăng", "Cần Thơ"]), boundaries="2025")
    assert pd.isna(codes[0]) and codes[1] == "92"
    assert "Cần Thơ (code 92)" in errors["message"].item()


def test_normalize_series_all_good_has_empty_errors():
    codes, errors = P.normalize_series(pd.Series(["Hà Nội"] * 5, dtype="string"))
    assert codes.tolist() == ["01"] * 5 and errors.empty


# ------------------------------------------------------------------ rebase_to_2025


def _frame():
    # Bắc Ninh-2025 (24) = Bắc Giang 24 + Bắc Ninh 27; Cần Thơ-2025 (92) = 92 + 93 + 94; Hà Nội 01 (+ Hà Tây 28).
    return pd.DataFrame({
        "province_code": ["24", "27", "24", "27", "92", "93", "94", "01", "28", "01", "28"],
        "year": [2019, 2019, 2020, 2020, 2019, 2019, 2019, 2007, 2007, 2009, 2009],
        "budget": [100.0, 50.0, 10.0, np.nan, 1.0, 2.0, 3.0, 7.0, 5.0, 9.0, np.nan],
        "iip": [110.0, 104.0, 120.0, 100.0, 100.0, 110.0, 120.0, 105.0, 101.0, 108.0, np.nan],
        "grdp_ind": [30.0, 10.0, 1.0, 3.0, 1.0, 1.0, 2.0, 3.0, 1.0, 4.0, np.nan],
    })


def test_rebase_sums_and_weights():
    out = rebase_to_2025(_frame(), sums=["budget"], weighted={"iip": "grdp_ind"}).set_index(["province_code", "year"])
    assert out.loc[("24", 2019), "budget"] == 150.0
    assert out.loc[("24", 2019), "iip"] == pytest.approx((110 * 30 + 104 * 10) / 40)  # 108.5
    assert out.loc[("92", 2019), "budget"] == 6.0
    assert out.loc[("92", 2019), "iip"] == pytest.approx((100 + 110 + 240) / 4)  # 112.5
    assert out.loc[("24", 2019), "components"] == "24;27" and out.loc[("24", 2019), "n_components"] == 2
    assert (out["boundaries"] == "2025").all()
    assert "grdp_ind" not in out.columns


def test_rebase_incomplete_is_nan_unless_allow_partial():
    out = rebase_to_2025(_frame(), sums=["budget"], weighted={"iip": "grdp_ind"}).set_index(["province_code", "year"])
    assert math.isnan(out.loc[("24", 2020), "budget"])  # Bắc Ninh 2020 budget missing
    assert out.loc[("24", 2020), "iip"] == pytest.approx((120 * 1 + 100 * 3) / 4)  # complete for iip
    partial = rebase_to_2025(_frame(), sums=["budget"], weighted={"iip": "grdp_ind"},
                               allow_partial=True).set_index(["province_code", "year"])
    assert partial.loc[("24", 2020), "budget"] == 10.0


def test_rebase_missing_component_row_is_nan():
    df = _frame()
    df = df[df["province_code"] != "93"]
    out = rebase_to_2025(df, sums=["budget"], weighted={"iip": "grdp_ind"}).set_index(["province_code", "year"])
    assert math.isnan(out.loc[("92", 2019), "budget"]) and math.isnan(out.loc[("92", 2019), "iip"])
    assert out.loc[("92", 2019), "n_components"] == 2 and out.loc[("92", 2019), "n_expected"] == 3
    partial = rebase_to_2025(df, sums=["budget"], weighted={"iip": "grdp_ind"},
                               allow_partial=True).set_index(["province_code", "year"])
    assert partial.loc[("92", 2019), "budget"] == 4.0
    assert partial.loc[("92", 2019), "iip"] == pytest.approx((100 + 240) / 3)


def test_rebase_ha_tay_before_2008_joins_ha_noi_and_empty_rows_after_are_dropped():
    out = rebase_to_2025(_frame(), sums=["budget"], weighted={"iip": "grdp_ind"}).set_index(["province_code", "year"])
    assert out.loc[("01", 2007), "budget"] == 12.0
    assert out.loc[("01", 2007), "iip"] == pytest.approx((105 * 3 + 101) / 4)
    assert out.loc[("01", 2007), "components"] == "01;28"
    assert out.loc[("01", 2009), "budget"] == 9.0 and out.loc[("01", 2009), "n_expected"] == 1


def test_rebase_ha_noi_before_2008_without_ha_tay_is_incomplete():
    df = _frame()
    df = df[df["province_code"] != "28"][["province_code", "year", "budget"]]
    out = rebase_to_2025(df, sums=["budget"]).set_index(["province_code", "year"])
    assert math.isnan(out.loc[("01", 2007), "budget"]) and out.loc[("01", 2009), "budget"] == 9.0


def test_rebase_filled_ha_tay_after_merger_raises():
    df = _frame()
    df.loc[df.index[-1], "budget"] = 1.0
    with pytest.raises(ValueError, match="ceased"):
        rebase_to_2025(df, sums=["budget"], weighted={"iip": "grdp_ind"})


def test_rebase_weight_column_can_also_be_summed():
    out = rebase_to_2025(_frame().drop(columns="budget"), sums=["grdp_ind"], weighted={"iip": "grdp_ind"})
    row = out.set_index(["province_code", "year"]).loc[("24", 2019)]
    assert row["grdp_ind"] == 40.0 and row["iip"] == pytest.approx(108.5)


def test_rebase_integer_codes_are_accepted():
    df = _frame()
    df["province_code"] = df["province_code"].astype(int)
    out = rebase_to_2025(df, sums=["budget"], weighted={"iip": "grdp_ind"})
    assert set(out["province_code"]) == {"01", "24", "92"}


@pytest.mark.parametrize("mutate, kwargs, error, pattern", [
    (lambda d: d.assign(province_code=d["province_code"].replace({"94": "99"})), {}, ValueError, "99"),
    (lambda d: d.assign(province_code=d["province_code"].replace({"94": "Sóc Trăng"})), {}, ValueError, "normalize_series"),
    (lambda d: d, {"weighted": {}}, ValueError, "iip"),
    (lambda d: d, {"sums": ["budget", "nope"]}, KeyError, "nope"),
    (lambda d: pd.concat([d, d.head(1)]), {}, ValueError, "duplicate"),
    (lambda d: d.assign(budget=d["budget"].astype(str)), {}, TypeError, "budget"),
    (lambda d: d.assign(year=d["year"].astype(float).where(d.index != 0)), {}, ValueError, "year"),
])
def test_rebase_errors(mutate, kwargs, error, pattern):
    args = {"sums": ["budget"], "weighted": {"iip": "grdp_ind"}} | kwargs
    with pytest.raises(error, match=pattern):
        rebase_to_2025(mutate(_frame()), **args)


def test_rebase_sums_as_single_string_is_rejected():
    with pytest.raises(TypeError):
        rebase_to_2025(_frame()[["province_code", "year", "budget"]], sums="budget")


# ------------------------------------------------------------------ real GSO / MOF files (../shared)


def _shared(relative: str):
    return shared_file(*relative.removeprefix("data/").split("/"))


@pytest.mark.shared
def test_every_name_in_gso_export_resolves():
    path = _shared("data/gso/Index of Industrial production by province.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    names = [r[0] for r in rows[3:] if r and r[0].strip()]
    regional = [n for n in names if P.is_region_or_country(n)]
    assert len(regional) == 7  # whole country + six regions
    codes, errors = P.normalize_series(pd.Series([n for n in names if n not in regional]))
    assert errors.empty, errors.to_dict("records")
    assert codes.nunique() == 63


@pytest.mark.shared
def test_every_name_in_mof_file_resolves():
    path = _shared("data/mof/Vietnam_National_Budget_Final.csv")
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    names = pd.Series([r["prov"] for r in csv.DictReader(io.StringIO(text))])
    codes, errors = P.normalize_series(names)
    assert errors.empty, errors.head().to_dict("records")
    assert "28" in set(codes)


@pytest.mark.shared
def test_regions_match_gso_export_grouping():
    path = _shared("data/gso/Index of Industrial production by province.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    region_by_key = {P.normalise_key(t): r.code for r in P.regions().itertuples()
                     for t in [r.name_en, *r.aliases.split(";")]}
    current = None
    for name in (r[0] for r in rows[3:] if r and r[0].strip()):
        if P.is_region_or_country(name):
            current = region_by_key.get(P.normalise_key(name))
            continue
        assert P.normalize_province(name).region_code == current, name


# ------------------------------------------------------------------ cross-check with public packages
# Our CSVs stay the source (they carry aliases, Hà Tây, regions); these tests compare every code, name
# and old → new mapping with two independently maintained packages (test dependencies only).
# Names are compared accent-folded without the "Tỉnh"/"Thành phố" prefix; the folding is written
# here, not taken from P.normalise_key, so a fault in our normaliser cannot hide a difference.

# (package, boundaries, code) → why their name differs from ours. Exactly these may differ: a new
# difference fails, and so does an entry that no longer differs.
KNOWN_NAME_DIFFERENCES = {
    ("vietnamadminunits", P.LEGACY, "46"): (
        "the package's 63-province table names code 46 as in the first half of 2025, after Thừa Thiên "
        "Huế became the centrally-run city of Huế (1 January 2025, Resolution 1314/NQ-UBTVQH15); our "
        "legacy row keeps the name of the 2008-2024 statistics we read, with Huế as an alias "
        "(data/PROVINCES_SOURCES.md)"),
}
_ADMIN_PREFIX = re.compile(r"^(thanh pho|tinh) ")


def _fold(name: str) -> str:
    """"Thành phố Hồ Chí Minh" → "ho chi minh": no marks, đ → d, lower case, no admin prefix."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _ADMIN_PREFIX.sub("", " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split()))


def _compare_names(package: str, boundaries: str, theirs: dict[str, str]) -> None:
    ours = {p.code: p for p in P.records(boundaries)}
    assert set(theirs) == set(ours), f"{package} {boundaries}: codes differ"
    differing = {(package, boundaries, code) for code, name in theirs.items()
                 if _fold(name) != _fold(ours[code].name)}
    known = {k for k in KNOWN_NAME_DIFFERENCES if k[:2] == (package, boundaries)}
    assert differing == known, {k: (theirs[k[2]], ours[k[2]].name) for k in differing ^ known}
    for code, name in theirs.items():  # their spelling, known difference or not, reaches our record
        assert P.normalize_province(name, boundaries).code == code, (package, name)


@pytest.fixture(scope="module")
def vietnam_provinces():
    return pytest.importorskip("vietnam_provinces")


@pytest.fixture(scope="module")
def adminunits():
    """vietnamadminunits: its SQLite tables (34 and 63 provinces) and its 2025 converter tables."""
    package = pytest.importorskip("vietnamadminunits")
    from vietnamadminunits.database.main import query

    def provinces(table: str) -> dict[str, dict]:
        rows = query(f"SELECT DISTINCT provinceCode, province, provinceKey FROM {table}")
        return {r["provinceCode"]: r for r in rows}

    converter = Path(package.__file__).parent / "data" / "converter_2025.json"
    return {P.NEW: provinces("admin_units"), P.LEGACY: provinces("admin_units_legacy"),
            "converter": json.loads(converter.read_text(encoding="utf-8"))}


def test_2025_codes_and_names_match_vietnam_provinces(vietnam_provinces):
    theirs = {f"{int(p.code):02d}": p.name for p in vietnam_provinces.Province.iter_all()}
    _compare_names("vietnam-provinces", P.NEW, theirs)


@pytest.mark.parametrize("boundaries", P.BOUNDARIES)
def test_codes_and_names_match_vietnamadminunits(adminunits, boundaries):
    theirs = {code: row["province"] for code, row in adminunits[boundaries].items()}
    _compare_names("vietnamadminunits", boundaries, theirs)


def _code_by_key(adminunits, boundaries: str) -> dict[str, str]:
    """vietnamadminunits province key ("tinhbacninh") → GSO code on ``boundaries`` (keys repeat across them)."""
    return {row["provinceKey"]: code for code, row in adminunits[boundaries].items()}


def test_63_to_34_mapping_matches_vietnamadminunits(adminunits):
    old_code, new_code = _code_by_key(adminunits, P.LEGACY), _code_by_key(adminunits, P.NEW)
    theirs = {old_code[old]: new_code[new]
              for new, olds in adminunits["converter"]["DICT_PROVINCE"].items() for old in olds}
    assert theirs == {p.code: P.to_2025(p).code for p in P.legacy_provinces()}
    for new in P.provinces_2025():
        assert sorted(p.code for p in P.merged_from(new.code)) == sorted(
            old for old, target in theirs.items() if target == new.code)


def test_every_old_commune_lands_in_the_2025_province_of_its_old_province(adminunits):
    """Resolution 202/2025/QH15 merges whole provinces: no commune crosses to another new province."""
    old_code, new_code = _code_by_key(adminunits, P.LEGACY), _code_by_key(adminunits, P.NEW)
    converter = adminunits["converter"]
    moves = [(new, old_ward) for new, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items()
             for old_wards in wards.values() for old_ward in old_wards]
    moves += [(new, old_ward) for new, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items()
              for old_ward in divided]
    assert len(moves) > 5000
    crossing = [(old_ward, new_code[new]) for new, old_ward in moves
                if P.to_2025(old_code[old_ward.split("_")[0]]).code != new_code[new]]
    assert crossing == []
