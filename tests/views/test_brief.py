"""The province brief (notebook 90): comparison rule, intervals, status box, generated reading and caveats."""
import re

import numpy as np
import pandas as pd
import pytest

from khuyencong.views import brief
from khuyencong.views import brief_doc
from khuyencong.views import brief_text
from khuyencong.views import results
from khuyencong.analysis import area_rows
from khuyencong.core import i18n
from khuyencong.analysis import metrics
from khuyencong.analysis import selection as params
from khuyencong.ingest import published

VIETNAMESE = re.compile("[À-ỹđĐ]")  # letters with Vietnamese diacritics (en dash, ·, – are outside)
NAN = np.nan


# ---------------------------------------------------------------- comparison rule

@pytest.mark.parametrize("own, ref, expected", [
    ((3.8, 3.6, 4.0), (3.3, 3.2, 3.4), "higher"),      # intervals apart
    ((3.0, 2.8, 3.2), (3.5, 3.4, 3.6), "lower"),
    ((3.8, 3.5, 4.1), (3.5, 3.4, 3.6), "similar"),     # overlap: never "higher", however far the points
    ((3.8, 3.6, 4.0), (3.5, NAN, NAN), "higher"),      # reference without interval: outside ours
    ((3.8, 3.4, 4.0), (3.5, NAN, NAN), "similar"),     # reference inside our interval
    ((3.8, NAN, NAN), (3.5, 3.4, 3.6), "higher"),      # our point above their interval
    ((3.5, NAN, NAN), (3.5, 3.4, 3.6), "similar"),
    ((NAN, NAN, NAN), (3.5, 3.4, 3.6), "unknown"),
    ((3.8, 3.6, 4.0), (NAN, NAN, NAN), "unknown"),
])
def test_comparative_word_follows_interval_overlap(own, ref, expected):
    assert brief_text.compare(*own, *ref) == expected


def test_descriptive_numbers_without_intervals_use_a_relative_tolerance():
    assert brief_text.compare(1.02, NAN, NAN, 1.0) == "similar"
    assert brief_text.compare(1.2, NAN, NAN, 1.0) == "higher"
    assert brief_text.compare(0.8, NAN, NAN, 1.0, tolerance=0.1) == "lower"


# ---------------------------------------------------------------- intervals

def test_ratio_interval_is_the_ratio_of_sums_with_a_seeded_bootstrap():
    rng = np.random.default_rng(1)
    den = rng.uniform(50, 150, 200)
    num = den * rng.normal(4, 1, 200)
    point, low, high = brief.ratio_interval(num, den, n_boot=300, seed=7)
    assert point == pytest.approx(num.sum() / den.sum())
    assert low < point < high and high - low < 0.5
    assert brief.ratio_interval(num, den, n_boot=300, seed=7) == (point, low, high)
    assert brief.ratio_interval(num, den, n_boot=300, seed=8) != (point, low, high)


def test_ratio_interval_small_and_bad_inputs():
    point, low, high = brief.ratio_interval([3.0], [1.0])
    assert point == 3.0 and np.isnan(low) and np.isnan(high)
    assert np.isnan(brief.ratio_interval([1.0, 2.0], [0.0, 0.0])[0])
    with pytest.raises(ValueError, match="differ in length"):
        brief.ratio_interval([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="n_boot"):
        brief.ratio_interval([1.0, 2.0], [1.0, 1.0], n_boot=0)


def test_cost_per_trainee_matches_outputs_per_budget():
    register = pd.DataFrame({
        "province_code": ["01", "01", "01", "31", "31"], "province_code_2025": ["01", "01", "01", "31", "31"],
        "year": [2020, 2020, 2021, 2020, 2021],
        "category": ["training", "management", "technology", "training", "training"],
        "status": ["completed", "adjusted", "completed", "completed", "stopped"],
        "state_support": [100.0, 50.0, 400.0, 30.0, 99.0], "trainees": [40, 10, NAN, 20, 5],
        "establishments_supported": [NAN] * 5})
    sel = params.select("Hà Nội", 2012, 2024, "legacy", "en")
    rows = pd.DataFrame(area_rows.cost_rows(register, sel, "trainees", brief.areas(sel), n_boot=50))
    expected = metrics.outputs_per_budget(register, by="province_code").query("output == 'trainees'")
    by_level = rows.set_index("level")["value"]
    assert by_level["province"] == pytest.approx(expected.set_index("province_code").loc["01", "support_per_unit"])
    assert by_level["country"] == pytest.approx((100 + 50 + 30) / (40 + 10 + 20))
    assert rows.set_index("level").loc["province", "note"] == "too_few"  # 2 projects


def test_too_few_threshold_is_the_results_one():
    assert brief.MIN_ROWS == results.MIN_PROJECTS


def test_attainment_truth_uses_the_generators_means():
    truth = {"truth": {"plans": {"northern_regions": ["RRD"], "northern_trainee_attainment_mean": 0.8,
                                 "attainment_mean": 1.0}}}
    plans = pd.DataFrame({"region_code": ["RRD", "SE"], "indicator": ["trainees", "trainees"],
                          "achieved": [80.0, 20.0]})
    assert brief.attainment_truth(plans, truth) == pytest.approx(100 / (100 + 20))


# ---------------------------------------------------------------- productivity: fallback to the region

def _survey_and_register():
    """Hà Nội (01) has 2 supported + 2 comparison establishments, Hải Phòng (31) 10 + 10: only the
    Red River Delta region has enough for a difference-in-differences."""
    rng = np.random.default_rng(3)
    rows, projects = [], []
    for prov, n in (("01", 2), ("31", 10)):
        for k in range(2 * n):
            eid = f"E{prov}-{k}"
            treated = k < n
            start = 2016 + k % 2
            for year in range(2013, 2021):
                effect = 0.2 if treated and year >= start else 0.0
                rows.append({"establishment_id": eid, "province_code": prov, "province_code_2025": prov,
                             "year": year, "workers": 10,
                             "output_value": 10 * np.exp(1 + 0.01 * year - 20 + effect + rng.normal(0, 0.05))})
            if treated:
                projects.append({"establishment_id": eid, "project_id": f"P{eid}", "year": start,
                                 "category": "technology", "status": "completed"})
    return pd.DataFrame(rows), pd.DataFrame(projects)


def test_productivity_falls_back_to_the_region_and_says_so():
    survey, register = _survey_and_register()
    sel = params.select("Hà Nội", 2013, 2020, "legacy", "en")
    rows = brief.labelled(area_rows.productivity_rows(survey, register, sel, brief.areas(sel)), sel).set_index("level")
    assert rows.loc["province", "note"] == "too_few" and np.isnan(rows.loc["province", "value"])
    assert (rows.loc["province", "n"], rows.loc["province", "n_comparison"]) == (2, 2)
    assert rows.loc["region", "value"] == pytest.approx(np.expm1(0.2), abs=0.05)
    sample, area = brief.productivity_sample(survey, register, sel, rows.reset_index())
    assert area.level == "region" and sample["establishment_id"].nunique() == 24
    text = " ".join(brief_text.reading(rows.reset_index(), "en", "REAL"))
    assert "too few for its own estimate" in text and "the Red River Delta region" in text


# ---------------------------------------------------------------- status box and reading

def _row(measure, level, value, low=NAN, high=NAN, n=100, truth=NAN, note="", code=None, area=None,
         n_comparison=NAN):
    codes = {"province": "P1", "region": "RRD", "country": "all"}
    return {"measure": measure, "level": level, "area_code": code or codes[level],
            "area": area or {"province": "Test Province", "region": "Red River Delta",
                             "country": "Whole country"}[level],
            "value": value, "low": low, "high": high, "n": n, "n_comparison": n_comparison, "truth": truth,
            "note": note, "unit": brief.UNITS[measure]}


def _table(link=(0.3, 0.1, 0.5)):
    rows = [
        _row("cofunding_ratio", "province", 3.8, 3.6, 4.0, truth=3.7), _row("cofunding_ratio", "region", 3.5, 3.4, 3.6),
        _row("cofunding_ratio", "country", 3.7, 3.65, 3.75),
        _row("productivity_effect", "province", 0.18, 0.12, 0.25, n=30, n_comparison=30),
        _row("productivity_effect", "region", 0.2, 0.18, 0.22), _row("productivity_effect", "country", 0.21, 0.2, 0.22),
        _row("cost_per_trainee", "province", 1.4, 1.2, 1.7), _row("cost_per_trainee", "region", 1.3, 1.25, 1.35),
        _row("cost_per_trainee", "country", 1.34, 1.3, 1.37),
        _row("cost_per_establishment", "province", NAN, note="no_data", n=0),
        _row("cost_per_establishment", "region", 8.1, 7.4, 8.8), _row("cost_per_establishment", "country", 7.9, 7.6, 8.2),
        _row("plan_attainment", "province", 0.8, 0.78, 0.82), _row("plan_attainment", "region", 0.82, 0.81, 0.83),
        _row("plan_attainment", "country", 0.9, 0.89, 0.91),
        _row("spending_intensity", "province", 0.006), _row("spending_intensity", "region", 0.012),
        _row("spending_intensity", "country", 0.0057), _row("industrial_growth", "province", 7.9),
        _row("industrial_growth", "region", 6.0), _row("industrial_growth", "country", 6.4),
        _row("grdp_link", "country", *link, n=34, truth=0.2),
    ]
    return pd.DataFrame(rows, columns=list(brief.COLUMNS))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_synthetic_is_stated_in_the_status_box_and_the_reading(lang):
    statuses = {"register": "SYNTHETIC", "survey": None}
    box = brief_text.status_box("SYNTHETIC", statuses, lang)
    table = i18n.t("br_table_register", lang)
    assert "SYNTHETIC" in box and i18n.t("br_status_synthetic", lang, tables=f"{table} ({i18n.t('br_status_word_SYNTHETIC', lang)})") \
        in box.replace("&#x27;", "'")
    lines = brief_text.reading(_table(), lang, "SYNTHETIC")
    assert "SYNTHETIC" in lines[0] and i18n.t("br_read_synthetic", lang, area="Test Province") in lines[0]
    assert "SYNTHETIC" not in brief_text.status_box("REAL", {"register": "REAL"}, lang)
    assert not any("SYNTHETIC" in line for line in brief_text.reading(_table(), lang, "REAL"))


def test_the_status_box_names_exactly_the_tables_used():
    """Issue 19: the REAL box claimed a register, plans, a survey and statistics when only the register was given."""
    head, body = brief_text.status_texts("REAL", {"register": "REAL", "survey": None, "plans": None,
                                                  "province_stats": None}, "vi")
    assert "sổ đề án (số liệu thật)" in body and "Không có: khảo sát cơ sở, kế hoạch, thống kê tỉnh." in body
    assert body.count("kế hoạch") == 1 and "data/" not in body and head == i18n.t("br_status_real_title", "vi")


def test_reading_uses_overlap_for_its_comparative_words():
    text = " ".join(brief_text.reading(_table(), "vi"))
    # co-funding 3.8 [3.6; 4.0] vs region [3.4; 3.6] (touching) and country [3.65; 3.75] (inside)
    assert "không khác biệt rõ so với vùng Đồng bằng sông Hồng (3,50)" in text
    assert "không khác biệt rõ so với cả nước (3,70)" in text
    # plan attainment 80% [78; 82] vs country [89; 91]: lower
    assert "thấp hơn cả nước (90,0%)" in text
    assert "cao hơn" not in text.split("Số học viên")[1].split(".")[0]


@pytest.mark.parametrize("link, key", [((0.3, 0.1, 0.5), "br_read_link_up"),
                                       ((-0.3, -0.5, -0.1), "br_read_link_down"),
                                       ((0.3, -0.1, 0.7), "br_read_link_none"),
                                       ((NAN, NAN, NAN), "br_read_missing")])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_grdp_link_is_always_called_an_association(link, key, lang):
    lines = brief_text.reading(_table(link), lang)
    assert lines[-1] == i18n.t("br_read_association", lang)
    fixed = re.split(r"\{[a-z]+\}", i18n.t(key, lang, **{k: "{" + k + "}" for k in _fields(key)}))
    assert all(part in lines[-2] for part in fixed if part.strip())


def _fields(key):
    return set(re.findall(r"\{([a-z]+)\}", i18n.labels()[key][0]))


def test_english_output_has_no_vietnamese_text():
    table = _table()
    sel = params.select("all", 2012, 2024, "2025", "en")
    lines = brief_text.reading(table, "en", "SYNTHETIC") + brief_text.caveats(sel, table, None, ceilings_active=False)
    shown = brief_text.headline_table(table, "en", synthetic=True)
    text = " ".join(lines) + " ".join(shown.columns) + " ".join(shown.astype(str).to_numpy().ravel())
    assert not VIETNAMESE.findall(text), VIETNAMESE.findall(text)
    assert VIETNAMESE.search(" ".join(brief_text.reading(table, "vi", "SYNTHETIC")))


def test_missing_province_value_says_not_enough_data():
    text = " ".join(brief_text.reading(_table(), "en"))
    assert i18n.t("br_read_missing", "en", what=brief_text.measure_label("cost_per_establishment", "en"),
                  area="Test Province") in text


def test_headline_table_shows_truth_only_for_synthetic_data():
    table = _table()
    with_truth = brief_text.headline_table(table, "en", synthetic=True)
    assert with_truth.loc[0, "Test Province"] == "3.80 [3.60; 4.00] · true: 3.70"
    assert brief_text.headline_table(table, "en").loc[0, "Test Province"] == "3.80 [3.60; 4.00]"
    assert list(with_truth.columns)[1:4] == ["Test Province", "Red River Delta", "Whole country"]


def test_fmt_value_signs_and_missing():
    assert brief_text.fmt_value("productivity_effect", 0.176, "vi", signed=True) == "+17,6%"
    assert brief_text.fmt_value("productivity_effect", -0.03, "en", signed=True) == "-3.0%"
    assert brief_text.fmt_value("spending_intensity", 0.006173, "en") == "0.00617%"
    assert brief_text.fmt_value("cofunding_ratio", NAN, "vi") == "–"


# ---------------------------------------------------------------- caveats

def test_caveats_name_mergers_and_the_inactive_ceiling_check():
    table = _table()
    merged = brief_text.caveats(params.select("Bắc Ninh", lang="vi"), table, None, ceilings_active=False)
    assert any("Bắc Giang" in line and "Bắc Ninh" in line for line in merged)
    assert i18n.t("br_cav_ceilings", "vi") in merged
    assert i18n.t("br_cav_rejected_missing", "vi") in merged
    legacy = brief_text.caveats(params.select("Bắc Kạn", boundaries="legacy", lang="en"), table, None, ceilings_active=True)
    assert i18n.t("br_cav_successor", "en", area="Bắc Kạn", new="Thái Nguyên") in legacy
    assert i18n.t("br_cav_ceilings", "en") not in legacy
    soc_trang = brief_text.caveats(params.select("Sóc Trăng", lang="en"), table, None, ceilings_active=True)
    assert any("Sóc Trăng" in line and "Cần Thơ" in line for line in soc_trang)


def test_small_samples_are_listed_in_the_caveats():
    table = _table()
    table.loc[0, ["note", "n"]] = ["too_few", 3]
    lines = brief_text.caveats(params.select("all", lang="en"), table, None, ceilings_active=True)
    assert any("only 3 projects" in line for line in lines)


def _write_rejected(folder, texts):
    (folder / "rejected").mkdir()
    for name in brief.REJECTED_TABLES:
        rows = texts if name == "register" else []
        pd.DataFrame({"province": rows, "reason": ["x"] * len(rows)}).to_csv(
            folder / "rejected" / f"{name}_rejected.csv", index=False, encoding="utf-8-sig")


def test_rejected_rows_are_counted_for_the_province_on_its_boundaries(tmp_path):
    _write_rejected(tmp_path, ["Bắc Giang", "Bac Ninh", "Thanh Hóaa", "Hà Nội"])
    counts = brief.rejected_counts(params.select("Bắc Ninh"), tmp_path).set_index("table")
    assert counts.loc["register", "rows"] == 2 and counts.loc["register", "unattributed"] == 1
    legacy = brief.rejected_counts(params.select("Bắc Giang", boundaries="legacy"), tmp_path).set_index("table")
    assert legacy.loc["register", "rows"] == 1 and legacy.loc["survey", "rows"] == 0
    assert brief.rejected_counts(params.select("all"), tmp_path).set_index("table").loc["register", "rows"] == 4
    assert brief.rejected_counts(params.select("all"), tmp_path / "nowhere") is None


def test_published_reference_points_for_bac_giang():
    sel = params.select("Bắc Giang", 2012, 2024, "legacy", "vi")
    refs = brief_doc.reference_table(brief_doc.references(published.load_published(), sel), "vi")
    values = refs[i18n.t("col.value", "vi")].tolist()
    assert "29.229,2 triệu đồng" in values and "220 đề án" in values
    assert refs[i18n.t("col.source", "vi")].str.len().gt(0).all()
    assert set(refs[i18n.t("col.area", "vi")]) == {"Bắc Giang"}
    assert not refs[i18n.t("col.source", "vi")].str.contains(r"\.txt\b").any()
    assert not refs.duplicated().any()  # a figure printed by several sources appears once


def test_not_estimable_province_falls_back_with_its_own_reason():
    table = _table()
    province = (table["measure"] == "productivity_effect") & (table["level"] == "province")
    table.loc[province, ["value", "low", "high", "note"]] = [NAN, NAN, NAN, "not_estimable"]
    lines = brief_text.reading(table, "en")
    reason = i18n.t("br_read_fallback_not_estimable", "en", area="Test Province",
                    fallback="the Red River Delta region")
    assert reason in lines
    assert "too few for its own estimate" not in " ".join(lines)
    following = lines[lines.index(reason) + 1]
    assert following.startswith("Output per worker of supported establishments in the Red River Delta region")


def test_unchanged_province_gets_no_successor_line():
    lines = brief_text.caveats(params.select("Lai Châu", boundaries="legacy", lang="en"), _table(), None,
                          ceilings_active=True)
    assert not any("has been part of" in line for line in lines)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_province_alone_in_its_data_is_compared_with_no_one(lang):
    """Issue 19: with only a province's own register, region and country showed its own 2,39 [1,54; 3,13]
    and the reading said it did not differ from the region (2,39) or the country (2,39)."""
    table = _table()
    own = table["measure"] == "cofunding_ratio"
    table.loc[own, ["value", "low", "high", "n"]] = [2.39, 1.54, 3.13, 12]
    text = " ".join(brief_text.reading(table, lang))
    assert i18n.t("br_cmp_only_own", lang) in text and i18n.fmt_number(2.39, lang, 2) in text
    shown = brief_text.headline_table(table, lang)
    row = shown.loc[shown[i18n.t("indicator", lang)] == brief_text.measure_label("cofunding_ratio", lang)].iloc[0]
    assert (row == "—").sum() == 2 and i18n.t("br_cmp_only_own", lang) in row[i18n.t("cf_col_note", lang)]
    other = shown.loc[shown[i18n.t("indicator", lang)] == brief_text.measure_label("cost_per_trainee", lang)].iloc[0]
    assert (other == "—").sum() == 0  # measures with data beyond the province still compare
