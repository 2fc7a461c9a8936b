import numpy as np
import pandas as pd
import pytest

from khuyencong.analysis import fixed_effects as fe
from khuyencong.core import provinces
from khuyencong.analysis import growth as pn

BETA = 2.0  # truth units: pp of growth per 0.1 % of previous-year industrial GRDP
CODES = ["01", "04", "11", "12", "14", "20", "22", "30", "31"]
YEARS = list(range(2012, 2021))


def _simulate(beta=BETA, noise=0.0, seed=3, codes=CODES, years=YEARS):
    """Province stats and register drawn from the demo generator's growth equation."""
    rng = np.random.default_rng(seed)
    ig = 1e5 * np.exp(rng.normal(0, 0.5, len(codes)))
    prov_eff, year_eff = rng.normal(0, 2, len(codes)), rng.normal(0, 1.5, len(years))
    stats, reg = [], []
    for t, year in enumerate(years):
        spend = ig * rng.uniform(0.0, 0.002, len(codes))  # up to 0.2 % of last year's GRDP
        intensity_pct = 100 * spend / ig
        growth = 8 + prov_eff + year_eff[t] + beta * intensity_pct / 0.1 + rng.normal(0, noise, len(codes))
        ig = ig * (1 + growth / 100)
        for i, code in enumerate(codes):
            stats.append({"province_code": code, "year": year, "industrial_grdp": ig[i],
                          "iip": 100 + growth[i], "population": 1000.0})
            new = provinces.to_2025(code).code
            for part, status in ((0.6, "completed"), (0.4, "adjusted")):
                reg.append({"province_code": code, "province_code_2025": new, "year": year,
                            "state_support": part * spend[i], "status": status})
            reg.append({"province_code": code, "province_code_2025": new, "year": year,
                        "state_support": 1e9, "status": "stopped"})  # never counted as spending
    return pd.DataFrame(reg), pd.DataFrame(stats)


def test_truth_conversion_to_points_per_percent():
    truth = {"truth": {"province_stats": {pn.TRUTH_KEY: 2.5}}}
    assert pn.truth_coefficients(truth) == {"intensity_pct": 25.0, "intensity_pct_lag1": 0.0,
                                            "intensity_pct_lag2": 0.0}
    with pytest.raises(KeyError, match="regenerate"):
        pn.truth_coefficients({"truth": {}})


def test_panel_recovers_generator_coefficient_in_converted_units():
    reg, stats = _simulate()
    panel = pn.growth_panel(reg, stats, "legacy")
    res = fe.panel_twfe(panel, pn.GROWTH, [pn.INTENSITY])
    truth = pn.truth_coefficients({"truth": {"province_stats": {pn.TRUTH_KEY: BETA}}})
    assert res.table.loc[pn.INTENSITY, "coef"] == pytest.approx(truth[pn.INTENSITY], rel=1e-6)
    # the first year has no previous GRDP: growth comes from IIP, intensity is missing
    first = panel[panel["year"] == YEARS[0]]
    assert (first["growth_source"] == "iip").all() and first[pn.INTENSITY].isna().all()


def test_current_year_denominator_would_not_match_the_truth():
    reg, stats = _simulate()
    panel = pn.growth_panel(reg, stats, "legacy")
    panel["intensity_current"] = 100 * panel["state_support"] / panel["industrial_grdp"]
    coef = fe.panel_twfe(panel, pn.GROWTH, ["intensity_current"]).table["coef"].iat[0]
    assert abs(coef - BETA / pn.TRUTH_STEP_PCT) > 0.01


def test_lags_zero_fill_and_iip_fallback():
    reg, stats = _simulate(codes=["01", "04", "11"])
    stats.loc[(stats["province_code"] == "04") & (stats["year"] == 2015), "industrial_grdp"] = np.nan
    reg = reg[~((reg["province_code"] == "11") & (reg["year"] == 2014))]
    panel = pn.growth_panel(reg, stats, "legacy").set_index(["province_code", "year"])
    assert panel.loc[("11", 2014), "state_support"] == 0.0
    assert panel.loc[("01", 2016), "intensity_pct_lag1"] == pytest.approx(panel.loc[("01", 2015), "intensity_pct"])
    assert panel.loc[("04", 2015), "growth_source"] == "iip"
    assert panel.loc[("04", 2015), "growth_pct"] == pytest.approx(panel.loc[("04", 2015), "iip"] - 100)
    assert np.isnan(panel.loc[("04", 2016), "intensity_pct"])  # no previous GRDP, no guess
    assert panel.loc[("01", 2013), "support_per_capita_kvnd"] == pytest.approx(panel.loc[("01", 2013), "state_support"] / 1000)


def test_2025_boundaries_sum_flows_and_weight_iip_by_previous_grdp():
    reg, stats = _simulate(codes=["30", "31", "01"])
    panel = pn.growth_panel(reg, stats, "2025").set_index(["province_code", "year"])
    assert sorted(panel.index.get_level_values(0).unique()) == ["01", "31"]
    s = stats.set_index(["province_code", "year"])
    ig = s.loc["30", "industrial_grdp"] + s.loc["31", "industrial_grdp"]
    assert panel.loc[("31", 2015), "industrial_grdp"] == pytest.approx(ig[2015])
    assert panel.loc[("31", 2015), "growth_pct"] == pytest.approx(100 * (ig[2015] / ig[2014] - 1))
    w30, w31 = s.loc[("30", 2014), "industrial_grdp"], s.loc[("31", 2014), "industrial_grdp"]
    iip = (w30 * s.loc[("30", 2015), "iip"] + w31 * s.loc[("31", 2015), "iip"]) / (w30 + w31)
    assert panel.loc[("31", 2015), "iip"] == pytest.approx(iip)
    assert panel.loc[("31", 2015), "iip"] - 100 == pytest.approx(panel.loc[("31", 2015), "growth_pct"])
    spent = reg[reg["province_code"].isin(["30", "31"]) & (reg["year"] == 2015) & (reg["status"] != "stopped")]
    assert panel.loc[("31", 2015), "state_support"] == pytest.approx(spent["state_support"].sum())
    assert panel.loc[("31", 2015), "province_name"] == "Hải Phòng"


def _steps_panel(values: dict) -> pd.DataFrame:
    rows = [{"province_code": c, "year": 2013 + i, "intensity_pct": v}
            for c, series in values.items() for i, v in enumerate(series)]
    return pd.DataFrame(rows)


def test_step_up_rule_moving_baseline():
    panel = _steps_panel({"A": [1, 1, 2, 1, 2.1, 5], "B": [1, 1, 1, 1.4, 1.2, 1.1],
                          "C": [0, 0, 0, 0.01], "D": [1, 1, 1]})
    out = pn.step_ups(panel, k=1.5, baseline_years=3).set_index("province_code")
    assert out.loc["A", "step_up_year"] == 2017 and out.loc["A", "status"] == "stepped"
    assert out.loc["A", "threshold"] == pytest.approx(1.5 * 1.0)  # median of 2014–2016 = (1, 2, 1)
    assert out.loc["B", "status"] == "never" and pd.isna(out.loc["B", "step_up_year"])
    assert out.loc["C", "step_up_year"] == 2016  # zero baseline: any positive spending
    assert out.loc["D", "status"] == "too_short"
    with pytest.raises(ValueError, match="k > 1"):
        pn.step_ups(panel, k=1.0)


def test_event_study_needs_stepped_and_controls():
    reg, stats = _simulate()
    panel = pn.growth_panel(reg, stats, "legacy")
    steps = pn.step_ups(panel, k=1.5)
    ev = pn.event_study(panel, steps, window=(-2, 2))
    assert set(ev["event_time"]) == {-2, -1, 0, 1, 2}
    no_steps = steps.assign(status="never", step_up_year=pd.NA).astype({"step_up_year": "Int64"})
    with pytest.raises(pn.TooFewObservations):
        pn.event_study(panel, no_steps)
    assert pn.few_events(steps, minimum=len(steps) + 1)


def test_fit_headline_truth_and_small_samples():
    reg, stats = _simulate(noise=0.5)
    panel = pn.growth_panel(reg, stats, "legacy")
    truth = {"truth": {"province_stats": {pn.TRUTH_KEY: BETA}}}
    head = pn.headline(panel, n_boot=199, seed=1, truth=truth).set_index("param")
    assert head.loc[pn.INTENSITY, "true_value"] == 20.0
    assert head.loc[pn.INTENSITY, "ci_low"] < 20.0 < head.loc[pn.INTENSITY, "ci_high"]
    assert head.loc[pn.INTENSITY, "weights"] == "webb"  # 9 clusters < 12
    assert head.loc[pn.INTENSITY, "few_clusters"]
    assert 0 <= head.loc[pn.INTENSITY, "p_wild"] <= 1
    two = panel[panel["province_code"].isin(["01", "04"])]
    row = pn.fit(two, pn.GROWTH, [pn.INTENSITY], pn.INTENSITY, n_boot=99)
    assert row["note"] == "too_few" and np.isnan(row["coef"])


def test_bootstrap_weights_choice():
    assert pn.bootstrap_weights(fe.WEBB_BELOW - 1) == "webb"
    assert pn.bootstrap_weights(fe.WEBB_BELOW) == "rademacher"


def test_partial_residual_slope_is_the_twfe_coefficient():
    reg, stats = _simulate(noise=1.0)
    panel = pn.growth_panel(reg, stats, "legacy")
    res = pn.partial_residuals(panel, pn.GROWTH, pn.MAIN_X, pn.INTENSITY)
    slope = np.polyfit(res["x_resid"], res["y_resid"], 1)[0]
    twfe = fe.panel_twfe(panel, pn.GROWTH, list(pn.MAIN_X)).table.loc[pn.INTENSITY, "coef"]
    assert slope == pytest.approx(twfe, rel=1e-8)


def test_variants_robustness_and_display():
    reg, stats = _simulate(noise=0.5)
    stats.loc[0, "iip"] = 250.0
    variants = pn.variants(reg, stats, "legacy", None, 2012, 2020)
    assert len(variants["no_outliers"]) == len(variants["main"]) - 1
    assert (variants["other_boundaries"]["boundaries"] == "2025").all()
    table = pn.robustness(variants, n_boot=99, seed=2, truth={"truth": {"province_stats": {pn.TRUTH_KEY: BETA}}})
    assert list(table["spec"]) == [s.key for s in pn.SPECS]
    assert np.isnan(table.set_index("spec").loc["per_capita", "true_value"])
    for lang in ("vi", "en"):
        shown = pn.display_table(table, lang)
        assert shown.shape == table.shape and not shown.isna().any().any()


def test_scope_and_outliers():
    hp = provinces.get("31", "2025")
    assert pn.scope_region(hp, "region") == "RRD" and pn.scope_region(hp, "all") is None
    with pytest.raises(ValueError, match="needs one province"):
        pn.scope_region(None, "region")
    with pytest.raises(ValueError, match="panel_scope"):
        pn.scope_region(hp, "country")
    frame = pd.DataFrame({"iip": [120.0, 201.0, np.nan], "growth_grdp_pct": [np.nan, 5.0, 150.0]})
    assert pn.outlier_mask(frame).tolist() == [False, True, True]


def test_province_vs_country_ratio_of_sums():
    reg, stats = _simulate(codes=["01", "04"])
    panel = pn.growth_panel(reg, stats, "legacy")
    out = pn.province_vs_country(panel, "04", "en")
    country = out[out["series"] == "Whole country"].set_index("year")
    rows = panel[panel["year"] == 2015]
    expected = 100 * rows["state_support"].sum() / rows[pn.IIP_WEIGHT].sum()
    assert country.loc[2015, pn.INTENSITY] == pytest.approx(expected)
    assert set(out["series"]) == {"Whole country", "Cao Bằng"}


def test_steps_and_spec_tables_display():
    reg, stats = _simulate()
    panel = pn.growth_panel(reg, stats, "legacy")
    steps = pn.step_ups(panel, k=1.5)
    never = steps.loc[steps["status"] == "never", "province_code"].iat[0]
    table = pn.steps_table(steps, panel, highlight=never)
    assert never in set(table["province_code"]) and table["province"].notna().all()
    assert (table["status"] != "never").sum() == (steps["status"] == "stepped").sum()
    shown = pn.display_table(table, "en", pn.STEP_COLUMNS)
    assert list(shown.columns)[:2] == ["Province", "Status"] and "—" in set(shown["First step-up year"])
    rob = pd.DataFrame({"spec": ["main", "lag1_only", "per_capita"], "coef": [1.0, 2.0, 3.0],
                        "param": [pn.INTENSITY, "intensity_pct_lag1", pn.PER_CAPITA]})
    assert pn.spec_plot_frame(rob, "en")["label"].tolist() == ["Main: years t and t−1"]


def test_mark_points_adds_a_legend_entry_and_checks_lengths():
    from khuyencong.views import plots
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [1.0, 0.0, 2.0]})
    fig = plots.scatter_with_fit(frame, "x", "y", lang="en", xlabel="x", ylabel="y")
    plots.mark_points(fig, [1.0], [0.0], "Cao Bằng")
    assert "Cao Bằng" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    with pytest.raises(ValueError, match="differ in length"):
        plots.mark_points(fig, [1.0, 2.0], [0.0], "x")
