"""Effectiveness measures on small hand-computed frames and simulated data with known truth."""
import time

import numpy as np
import pandas as pd
import pytest

from khuyencong.analysis import ceilings as cl
from khuyencong.analysis import metrics as mt


def _register():
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "province_code": ["01", "01", "01", "02", "02", "02"],
        "region_code": ["RRD", "RRD", "RRD", "NMM", "NMM", "NMM"],
        "year": [2020, 2020, 2021, 2020, 2021, 2021],
        "category": ["training", "technology", "technology", "training", "demonstration", "technology"],
        "funding_source": ["KCDP", "KCQG", "KCDP", "KCDP", "KCQG", "KCDP"],
        "establishment_id": ["E1", "E2", "E3", "E4", "E5", "E6"],
        "state_support": [100.0, 300.0, 200.0, 50.0, 400.0, 1000.0],
        "beneficiary_contribution": [0.0, 900.0, 300.0, 50.0, 600.0, 5000.0],
        "status": ["completed", "completed", "adjusted", "completed", "completed", "stopped"],
        "trainees": [40, np.nan, np.nan, 10, np.nan, np.nan],
        "machines": [np.nan, 3, np.nan, np.nan, np.nan, 9],
        "demonstration_models": [np.nan, np.nan, np.nan, np.nan, 2, np.nan],
    })


def test_cofunding_ratio_of_sums_excludes_stopped():
    out = mt.cofunding(_register()).set_index("province_code")
    # 01: state 600, contribution 1200; 02 (P6 stopped): state 450, contribution 650
    assert out.loc["01", "projects"] == 3 and out.loc["02", "projects"] == 2
    assert out.loc["01", "cofunding_ratio"] == pytest.approx(2.0)
    assert out.loc["01", "state_share"] == pytest.approx(600 / 1800)
    assert out.loc["02", "cofunding_ratio"] == pytest.approx(650 / 450)
    every = mt.cofunding(_register(), statuses=None).set_index("province_code")
    assert every.loc["02", "cofunding_ratio"] == pytest.approx(5650 / 1450)
    national = mt.cofunding(_register(), by=None)
    assert len(national) == 1 and national["state_support"].iloc[0] == 1050


def test_cofunding_leaves_out_missing_amounts_with_a_count_and_refuses_missing_columns(caplog):
    reg = _register()
    reg.loc[0, "beneficiary_contribution"] = np.nan  # a blank co-funding cell: missing, not 0
    out = mt.cofunding(reg)
    complete = mt.cofunding(reg.drop(index=0))
    assert out.attrs["left_out_missing"] == 1 and "P1" in caplog.text
    pd.testing.assert_frame_equal(out, complete, check_like=True)
    assert mt.cofunding(_register()).attrs["left_out_missing"] == 0
    with pytest.raises(KeyError, match="district"):
        mt.cofunding(_register(), by="district")


def _sim_register(n_prov=63, per_prov=40, seed=1):
    rng = np.random.default_rng(seed)
    true_ratio = np.linspace(0.5, 3.0, n_prov)
    prov = np.repeat([f"{i:02d}" for i in range(n_prov)], per_prov)
    state = rng.gamma(2.0, 200.0, n_prov * per_prov)
    contrib = state * np.repeat(true_ratio, per_prov) * rng.lognormal(0, 0.3, n_prov * per_prov)
    return pd.DataFrame({"project_id": np.arange(len(prov)).astype(str), "province_code": prov,
                         "state_support": state, "beneficiary_contribution": contrib,
                         "status": "completed"}), true_ratio


def test_bootstrap_is_deterministic_fast_and_covers():
    reg, truth = _sim_register()
    start = time.perf_counter()
    out = mt.bootstrap_cofunding(reg, n_boot=999, seed=7)
    assert time.perf_counter() - start < 3
    again = mt.bootstrap_cofunding(reg, n_boot=999, seed=7)
    pd.testing.assert_frame_equal(out, again)
    assert (out["ratio_low"] <= out["cofunding_ratio"]).all() and (out["cofunding_ratio"] <= out["ratio_high"]).all()
    # E[contribution/state] = ratio * exp(0.045); intervals should cover it in most provinces
    target = truth * np.exp(0.3 ** 2 / 2)
    covered = ((out["ratio_low"] <= target) & (target <= out["ratio_high"])).mean()
    print(f"bootstrap co-funding interval coverage over 63 provinces: {covered:.3f}")
    assert covered > 0.8


def test_rank_intervals_contain_rank_and_separate_extremes():
    reg, _ = _sim_register()
    draws = mt.cofunding_draws(reg, n_boot=499, seed=3)
    ranks = mt.rank_with_intervals(draws)
    assert ranks["rank"].tolist() == sorted(ranks["rank"].tolist())
    true_rank = 63 - ranks["province_code"].astype(int)  # code 62 has the highest true ratio
    assert np.corrcoef(true_rank, ranks["rank"])[0, 1] > 0.9
    assert ((ranks["rank_low"] <= true_rank) & (true_rank <= ranks["rank_high"])).mean() > 0.8
    assert ((ranks["rank_low"] <= ranks["rank"]) & (ranks["rank"] <= ranks["rank_high"])).mean() > 0.95
    top, bottom = ranks.iloc[0], ranks.iloc[-1]
    assert top["rank_high"] < bottom["rank_low"]


def test_ceiling_breaches_by_share_and_amount():
    ceilings = pd.DataFrame({"category": ["training", "technology"], "max_state_share": [1.0, 0.30],
                             "max_state_amount_mvnd": [np.nan, 500.0]})
    out = cl.ceiling_breaches(_register(), ceilings).set_index("project_id")
    # P2 share .25, 300 ok; P3 share .4 > .3; P6 amount 1000 > 500; P5 has no ceiling row
    assert out["breach"].to_dict() == {"P1": False, "P2": False, "P3": True, "P4": False, "P5": False, "P6": True}
    assert out.loc["P3", "breach_share"] and not out.loc["P3", "breach_amount"]
    assert out.loc["P6", "breach_amount"]
    assert not out.loc["P5", "has_ceiling"]
    as_dict = cl.ceiling_breaches(_register(), {"technology": {"max_state_share": 0.30}})
    assert as_dict.set_index("project_id")["breach"].sum() == 1  # P3 only (P6 share .167)
    assert "28/2018/TT-BTC" in cl.DEFAULT_CEILINGS_NOTE


def test_ceilings_per_funding_source_and_duplicates_refused():
    ceilings = pd.DataFrame({"category": ["technology", "technology"], "funding_source": ["KCQG", "KCDP"],
                             "max_state_share": [0.2, 0.5]})
    out = cl.ceiling_breaches(_register(), ceilings).set_index("project_id")
    assert out.loc["P2", "breach"] and not out.loc["P3", "breach"]
    with pytest.raises(ValueError, match="more than once"):
        cl.ceiling_breaches(_register(), pd.concat([ceilings, ceilings]))


def _survey():
    rows = []
    # E1 supported 2020: opw 2019 = 10, 2021 = 12, 2022 = 14 -> gain 0.30
    for y, out, w in [(2018, 80, 10), (2019, 100, 10), (2020, 110, 10), (2021, 120, 10), (2022, 140, 10)]:
        rows.append(("E1", "P1", "01", y, out, w))
    # E2 supported 2020: last pre year 2018 (2019 not surveyed): 10 -> post only 2021: 11 -> 0.10
    for y, out, w in [(2018, 50, 5), (2021, 55, 5)]:
        rows.append(("E2", "P2", "01", y, out, w))
    # E9 never supported
    for y in range(2018, 2023):
        rows.append(("E9", None, "01", y, 100, 10))
    return pd.DataFrame(rows, columns=["establishment_id", "project_id", "province_code", "year", "output_value", "workers"])


def test_productivity_and_gains():
    p = mt.productivity(_survey())
    assert p.loc[0, "output_per_worker"] == 8 and p.loc[0, "log_productivity"] == pytest.approx(np.log(8))
    zero = mt.productivity(pd.DataFrame({"output_value": [10.0], "workers": [0]}))
    assert np.isnan(zero.loc[0, "output_per_worker"]) and np.isnan(zero.loc[0, "log_productivity"])
    with pytest.raises(ValueError, match="negative workers"):
        mt.productivity(pd.DataFrame({"output_value": [10.0], "workers": [-1]}))
    gains = mt.supported_gains(_survey(), _register()).set_index("establishment_id")
    assert set(gains.index) == {"E1", "E2"}
    assert gains.loc["E1", "gain"] == pytest.approx(0.30) and gains.loc["E1", "base_year"] == 2019
    assert gains.loc["E2", "gain"] == pytest.approx(0.10) and gains.loc["E2", "n_post_years"] == 1
    band = mt.share_in_band(gains.reset_index())
    assert band.loc[0, "n"] == 2 and band.loc[0, "share_in_band"] == 0.5 and band.loc[0, "share_below"] == 0.5


def test_did_panel_marks_support_timing():
    panel = mt.did_panel(_survey(), _register()).set_index(["establishment_id", "year"])
    assert panel.loc[("E1", 2019), "event_time"] == -1 and panel.loc[("E1", 2019), "treated_post"] == 0
    assert panel.loc[("E1", 2020), "treated_post"] == 1
    assert np.isnan(panel.loc[("E9", 2020), "event_time"]) and panel.loc[("E9", 2022), "treated_post"] == 0


def test_outputs_per_budget_uses_category_outputs():
    out = mt.outputs_per_budget(_register(), by=None).set_index("output")
    # trainees: P1 (100/40) + P4 (50/10) -> 150/50
    assert out.loc["trainees", "support_per_unit"] == pytest.approx(3.0)
    assert "training" in out.loc["trainees", "categories"]
    # machines: P2 300/3; P3 reports no machines -> left out and counted; P6 stopped
    assert out.loc["machines", "support_per_unit"] == pytest.approx(100.0)
    assert out.loc["machines", "projects_missing_output"] == 1
    assert out.loc["demonstration_models", "support_per_unit"] == pytest.approx(200.0)
    assert "typical_products" not in out.index  # column absent from this register


def test_plan_attainment_ratio_of_sums():
    plans = pd.DataFrame({"province_code": ["01", "01", "01", "02"], "year": [2020, 2021, 2022, 2020],
                          "indicator": ["trainees"] * 4, "planned": [100, 300, 50, 10],
                          "achieved": [120, 200, np.nan, 10]})
    out = mt.plan_attainment(plans).set_index("province_code")
    assert out.loc["01", "attainment"] == pytest.approx(320 / 400)
    assert out.loc["01", "rows_incomplete"] == 1 and out.loc["02", "attainment"] == 1


def test_compare_to_region_ratio_of_sums_and_means():
    cf = mt.cofunding(_register(), by=["region_code", "province_code"], statuses=None)
    extra = cf.loc[cf["province_code"] == "01"].assign(province_code="03", state_support=100.0, beneficiary_contribution=100.0,
                                cofunding_ratio=1.0)
    cf = pd.concat([cf, extra], ignore_index=True)
    out = mt.compare_to_region(cf, "cofunding_ratio", "beneficiary_contribution", "state_support").set_index("province_code")
    assert out.loc["01", "region_value"] == pytest.approx(1300 / 700)
    assert out.loc["01", "country_value"] == pytest.approx((1300 + 5650) / (700 + 1450))
    assert out.loc["01", "rank_in_region"] == 1 and out.loc["03", "rank_in_region"] == 2
    means = mt.compare_to_region(cf, "cofunding_ratio").set_index("province_code")
    assert means.loc["03", "region_value"] == pytest.approx((2.0 + 1.0) / 2)
    with pytest.raises(KeyError, match="region_code"):
        mt.compare_to_region(cf.drop(columns="region_code"), "cofunding_ratio")



def test_a_plan_with_nothing_spent_yet_has_no_cofunding_rows_instead_of_an_error():
    plan = _register().assign(status="planned", beneficiary_contribution=np.nan)  # an approved plan annex
    out = mt.bootstrap_cofunding(plan, n_boot=99)
    assert out.empty and {"ratio_low", "ratio_high"} <= set(out.columns)
