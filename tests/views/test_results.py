"""Helpers of the co-funding (10) and outputs (40) notebooks: ceilings file, selection against region
and country, the generator's true co-funding, result tables and the outside legend."""
import numpy as np
import pandas as pd
import pytest

from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.core import i18n
from khuyencong.analysis import ceilings as cl
from khuyencong.analysis import metrics as mt
from khuyencong.views import plots
from khuyencong.core import provinces
from khuyencong.views import results

HEADER = ",".join(cl.CEILING_COLUMNS) + "\n"


def _register():
    return pd.DataFrame({
        "project_id": [f"P{i}" for i in range(1, 9)],
        "province_code": ["24", "24", "27", "27", "94", "94", "92", "92"],
        "province_code_2025": ["24", "24", "24", "24", "92", "92", "92", "92"],
        "region_code": ["NMM", "NMM", "RRD", "RRD", "MRD", "MRD", "MRD", "MRD"],
        "year": [2020, 2021, 2020, 2021, 2020, 2021, 2020, 2021],
        "category": ["training", "technology", "technology", "demonstration", "training", "technology",
                     "technology", "training"],
        "funding_source": ["KCDP", "KCQG", "KCDP", "KCQG", "KCDP", "KCDP", "KCQG", "KCDP"],
        "state_support": [100.0, 300.0, 200.0, 400.0, 50.0, 100.0, 200.0, 50.0],
        "beneficiary_contribution": [0.0, 900.0, 300.0, 2000.0, 0.0, 300.0, 200.0, 0.0],
        "status": ["completed"] * 7 + ["stopped"],
        "trainees": [40, np.nan, np.nan, np.nan, 10, np.nan, np.nan, 5],
        "machines": [np.nan, 3, 2, np.nan, np.nan, 1, 4, np.nan],
        "demonstration_models": [np.nan, np.nan, np.nan, 2, np.nan, np.nan, np.nan, np.nan],
    })


# ---------------------------------------------------------------- ceilings file

def test_packaged_ceilings_are_unverified_so_the_check_is_inactive():
    every = cl.load_ceilings(verified_only=False)
    assert set(every["verified"]) == {"no"}
    assert every[["max_state_share", "max_state_amount_mvnd"]].isna().all().all()
    assert cl.load_ceilings().empty


def test_verified_ceilings_feed_the_breach_check(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "technology,KCQG,0.3,,Circular X art. 1,yes\n"
                    "technology,KCDP,0.5,150,unchecked,no\n", encoding="utf-8")
    ceilings = cl.load_ceilings(path)
    assert list(ceilings["funding_source"]) == ["KCQG"]
    flagged = cl.ceiling_breaches(_register(), ceilings).set_index("project_id")
    # P2 state share 300/1200 = 0.25 (under 0.3); P7 200/400 = 0.5 (over); KCDP technology unchecked
    assert not flagged.loc["P2", "breach"] and flagged.loc["P7", "breach"]
    assert not flagged.loc["P3", "has_ceiling"]


@pytest.mark.parametrize("row, match", [
    ("technology,KCQG,50%,,x,yes", "not a number"),
    ("technology,KCQG,1.5,,x,yes", r"\(0, 1\]"),
    ("technology,KCQG,,-3,x,yes", "positive"),
    ("technology,KCQG,,,x,yes", "no ceiling value"),
    ("technology,KCQG,0.3,,x,maybe", "verified"),
    ("tech,KCQG,0.3,,x,yes", "category"),
])
def test_bad_ceiling_rows_are_refused(tmp_path, row, match):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        cl.load_ceilings(path)


def test_ceiling_columns_and_duplicates_are_checked(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("category,max_state_share\ntraining,0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="columns must be"):
        cl.load_ceilings(path)
    path.write_text(HEADER + "training,KCQG,0.5,,x,yes\ntraining,KCQG,0.6,,y,yes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="more than once"):
        cl.load_ceilings(path)


# ---------------------------------------------------------------- selection, region, country

def test_selection_vs_country_stacks_both_and_country_only_for_all():
    reg = _register()
    both = mt.selection_vs_country(mt.cofunding, reg, "province_code_2025", "92", by="year", labels=("CT", "VN"))
    ct = both[both["area"] == "CT"].set_index("year")
    vn = both[both["area"] == "VN"].set_index("year")
    assert ct.loc[2020, "cofunding_ratio"] == pytest.approx(200 / 250)  # P5 + P7
    assert vn.loc[2020, "cofunding_ratio"] == pytest.approx(500 / 550)
    assert set(mt.selection_vs_country(mt.cofunding, reg, "province_code", None)["area"]) == {"country"}
    with pytest.raises(ValueError, match="no rows"):
        mt.selection_vs_country(mt.cofunding, reg, "province_code", "01")


def test_versus_region_compares_within_each_output_by_ratio_of_sums():
    reg = _register()
    per = mt.outputs_per_budget(reg, by=["region_code", "province_code"])
    out = mt.versus_region(per, "support_per_unit", "state_support", "output_total", key="output")
    machines = out[out["output"] == "machines"].set_index("province_code")
    # MRD machines: 94 (100 / 1) and 92 (200 / 4) → region 300 / 5; country 800 / 10
    assert machines.loc["94", "region_value"] == pytest.approx(60.0)
    assert machines.loc["94", "country_value"] == pytest.approx(80.0)
    with pytest.raises(ValueError, match="empty"):
        mt.versus_region(per.iloc[0:0], "support_per_unit", "state_support", "output_total", key="output")


def test_with_names_uses_the_chosen_boundaries_and_their_regions():
    reg = _register()
    new = results.with_names(reg, "province_code_2025", "2025", region=True)
    assert new.loc[0, "province"] == provinces.get("24", "2025").name
    assert set(new["region_code"]) == {provinces.get("24", "2025").region_code, "MRD"}
    old = results.with_names(reg, "province_code", "legacy")
    assert old.loc[4, "province"] == "Sóc Trăng" and "region_code" in old and old.loc[0, "region_code"] == "NMM"
    with pytest.raises(ValueError, match="not 2025 provinces"):
        results.with_names(reg.assign(province_code_2025="94"), "province_code_2025", "2025")


def test_selection_and_region_levels_and_relative_difference():
    reg = _register()
    per = mt.outputs_per_budget(reg, by=["region_code", "province_code"])
    cmp_ = mt.versus_region(per, "support_per_unit", "state_support", "output_total", key="output")
    st = provinces.get("94", "legacy")
    lv = results.selection_levels(cmp_, st, "output", "support_per_unit", "province_code", "en")
    machines = lv[lv["output"] == "machines"].set_index("area")["value"]
    assert list(machines.index) == ["Sóc Trăng", i18n.t("region.MRD", "en"), "Whole country"]
    assert machines.tolist() == pytest.approx([100.0, 60.0, 80.0])
    rel = results.relative_to_country(lv, "output", "Whole country")
    assert "Whole country" not in set(rel["area"])
    assert rel.set_index(["output", "area"]).loc[("machines", "Sóc Trăng"), "diff_pct"] == pytest.approx(25.0)
    regions = results.region_levels(mt.outputs_per_budget(reg, by="region_code"), mt.outputs_per_budget(reg, by=None),
                                    "output", "support_per_unit", "vi")
    # trainees: NMM, MRD; machines: NMM, RRD, MRD; demonstration models: RRD; plus the country for each output
    assert regions["area"].iloc[-1] == "Cả nước" and len(regions) == 6 + 3


def test_levels_table_formats_per_language():
    lv = pd.DataFrame({"k": ["a", "a"], "area": ["X", "Cả nước"], "value": [1234.567, 0.5]})
    vi = results.levels_table(lv, "k", "vi", str.upper)
    assert vi.iloc[0].tolist() == ["A", "1.234,57", "0,50"]
    en = results.levels_table(lv, "k", "en", str.upper, as_pct=True)
    assert en.iloc[0].tolist() == ["A", "123,456.7%", "50.0%"]


# ---------------------------------------------------------------- truth and co-funding tables

def _truth():
    return {"params": {"ratio_sigma": 0.0, "year_first": 2012, "year_last": 2024},
            "truth": {"register": {"cofunding_ratio_by_category": {"training": 0.0, "technology": 2.0,
                                                                   "demonstration": 5.0},
                                   "province_effect_log_cofunding_ratio": {"24 Bắc Giang": 0.0, "27 Bắc Ninh": 0.0,
                                                                           "94 Sóc Trăng": float(np.log(2)),
                                                                           "92 Cần Thơ": 0.0},
                                   "sample_aggregate_cofunding_ratio": 3.0}}}


def test_expected_cofunding_follows_the_generator_model():
    reg = _register()
    expected = synthetic_truth.expected_cofunding(reg, _truth())
    assert expected.tolist() == pytest.approx([0, 600, 400, 2000, 0, 400, 400, 0])
    with pytest.raises(ValueError, match="province_code"):
        synthetic_truth.expected_cofunding(reg.assign(province_code="01"), _truth())
    lognormal = _truth()
    lognormal["params"]["ratio_sigma"] = 0.5
    assert synthetic_truth.expected_cofunding(reg, lognormal)[1] == pytest.approx(600 * np.exp(0.125))


def test_expected_cofunding_matches_the_committed_demo_register():
    from khuyencong.analysis import tables
    try:
        reg, truth = tables.load("register"), synthetic_truth.load_truth()
    except FileNotFoundError as exc:
        pytest.skip(f"demo data not built: {exc}")
    true = results.cofunding_truth(reg, synthetic_truth.expected_cofunding(reg, truth), by=None)["true_ratio"].iat[0]
    assert true == pytest.approx(truth["truth"]["register"]["sample_aggregate_cofunding_ratio"], rel=0.03)


def test_cofunding_table_with_truth_and_too_few_note():
    reg = _register()
    est = mt.bootstrap_cofunding(reg, by="category", n_boot=50, seed=1)
    truth = results.cofunding_truth(reg, synthetic_truth.expected_cofunding(reg, _truth()), by="category")
    table = results.cofunding_table(est, "en", "category", "category", truth)
    row = table.set_index(i18n.t("category", "en")).loc[i18n.t("category.technology", "en")]
    # technology, spent: P2, P3, P6, P7 with state 800; contributions 1700; expected 600 + 400 + 400 + 400
    assert float(row[i18n.t("cf_col_ratio", "en")]) == pytest.approx(1700 / 800, abs=0.005)
    assert float(row[i18n.t("cf_col_true_ratio", "en")]) == pytest.approx(1800 / 800, abs=0.005)
    assert set(table[i18n.t("cf_col_note", "en")]) == {i18n.t("nb_few_short", "en")}
    assert results.too_few_message(3, "en") and results.too_few_message(30, "en") is None


def test_ranking_frame_drops_intervals_that_exclude_the_estimate():
    est = pd.DataFrame({"province_code": ["24", "27", "94"], "cofunding_ratio": [1.0, 2.0, np.nan],
                        "ratio_low": [0.5, 2.5, np.nan], "ratio_high": [1.5, 3.0, np.nan]})
    frame, dropped = results.ranking_frame(est, "province_code", "legacy")
    assert dropped == ["Bắc Ninh"] and len(frame) == 2
    assert frame.set_index("province").loc["Bắc Ninh", ["ratio_low", "ratio_high"]].isna().all()
    fig = plots.ranked_intervals(frame, "cofunding_ratio", "ratio_low", "ratio_high", "province", lang="en")
    assert fig.axes


def test_legend_outside_moves_the_legend_right_of_the_axes():
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "h": ["x", "y", "x", "y"], "v": [1.0, 2.0, 3.0, 4.0]})
    fig = plots.legend_outside(plots.bars_by_group(df, "g", "v", hue="h", lang="en", legend_title="H",
                                                     xlabel="V", ylabel="G"))
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "H" and [t.get_text() for t in legend.get_texts()] == ["x", "y"]
    box = legend.get_window_extent()
    assert box.x0 >= fig.axes[0].get_window_extent().x1


def test_save_writes_figure_and_table_only_with_an_output_dir(tmp_path):
    df = pd.DataFrame({"g": ["a"], "v": [1.0]})
    fig = plots.bars_by_group(df, "g", "v", lang="vi", xlabel="V", ylabel="G")
    assert results.save(None, "x", fig, df) == []
    written = results.save(tmp_path / "out", "x", fig, df)
    assert sorted(p.name for p in written) == ["x.csv", "x.png", "x.svg", "x.xlsx"]


def test_ceiling_summary_counts_breaches_per_category_and_source():
    ceilings = pd.DataFrame({"category": ["technology"], "funding_source": ["KCQG"], "max_state_share": [0.3],
                             "max_state_amount_mvnd": [250.0]})
    flagged = cl.ceiling_breaches(_register(), ceilings, statuses=mt.SPENT_STATUSES)
    table = results.ceiling_summary(flagged, "en")
    # checked: P2 (share 0.25, amount 300 > 250) and P7 (share 0.5, amount 200)
    assert table.iloc[0].tolist() == [i18n.t("category.technology", "en"), i18n.t("funding_source.KCQG", "en"), 2, 1, 1]


def test_rank_table_names_provinces_and_formats_rank_intervals():
    reg = _register()
    draws = mt.cofunding_draws(reg, by="province_code", n_boot=100, seed=3)
    table = results.rank_table(mt.rank_with_intervals(draws), "province_code", "legacy", "vi")
    assert table[i18n.t("cf_col_rank", "vi")].tolist() == [1, 2, 3, 4]
    assert table[i18n.t("province", "vi")].iloc[0] == "Bắc Ninh"  # 2300 / 600
    assert all(v.startswith("[") for v in table[i18n.t("cf_col_rank_ci", "vi")])


@pytest.fixture(scope="module")
def published_tables():
    from khuyencong.ingest import published
    from khuyencong.analysis import tables
    try:
        figures = tables.load("published_figures")
    except FileNotFoundError as exc:
        pytest.skip(f"published figures not built: {exc}")
    return figures, published.derived_figures(figures)


def test_reference_tables_put_estimates_beside_published_and_true_values(published_tables):
    figures, derived = published_tables
    reg = _register()
    est = mt.bootstrap_cofunding(reg, by=None, n_boot=50, seed=1)
    ref = results.cofunding_reference(est, est, "X", "2020–2021", "en", figures, derived, _truth(), 2.5)
    values = dict(zip(ref["Figure"], ref["Value"]))
    assert values[i18n.t("cf_row_truth_model", "en")] == "2.50"
    assert values[i18n.t("cf_row_truth_sample", "en")] == "3.00"
    published_row = ref[ref["Area"] == "Sóc Trăng"].iloc[0]
    assert published_row["Value"] == "3.64" and "Tạp chí Làng nghề Việt" in published_row["Source"]
    assert not ref["Source"].str.contains(r"\.txt\b").any()  # citations, never the transcription's file name
    plans = pd.DataFrame({"region_code": ["RRD", "NMM", "MRD"], "year": [2016] * 3, "indicator": ["trainees"] * 3,
                          "planned": [100.0, 100.0, 100.0], "achieved": [80.0, 90.0, 10.0]})
    out = results.outputs_reference(reg.assign(year=2016), plans, figures, derived, "vi", None)
    values = dict(zip(out["Số liệu"], out["Giá trị"]))
    assert values[i18n.t("op_row_north_attainment", "vi")] == "85,0%"  # (80 + 90) / 200, MRD left out
    assert values[i18n.t("op_row_per_project", "vi")] == "200,00"  # Bắc Giang 2016: P1 + P2 over 2 projects
    assert "82,49%" in set(out["Giá trị"]) and "61,3%" in set(out["Giá trị"])
