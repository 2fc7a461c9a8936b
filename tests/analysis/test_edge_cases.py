"""Estimator edge cases (issue 12, class 6): bad amounts, missing columns, excluded groups,
zero-denominator bootstrap draws, single-project groups, model argument defaults."""
import logging

import numpy as np
import pandas as pd
import pytest

from khuyencong.analysis import fixed_effects as fe
from khuyencong.analysis import inference
from khuyencong.analysis import metrics as mt
from khuyencong.analysis import models as md
from khuyencong.errors import InputError


def _register():
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "province_code": ["01", "01", "01", "02", "02", "03"],
        "state_support": [100.0, 300.0, 200.0, 50.0, 400.0, 70.0],
        "beneficiary_contribution": [0.0, 900.0, 300.0, 50.0, 600.0, 30.0],
        "status": ["completed", "completed", "adjusted", "stopped", "deferred", "completed"],
    })


@pytest.mark.parametrize("value, words", [(-5.0, "negative"), ("1.000", "not a number"), (True, "not a number")])
def test_cofunding_rejects_negative_text_and_boolean_amounts(value, words):
    reg = _register().astype({"beneficiary_contribution": object})
    reg.loc[1, "beneficiary_contribution"] = value
    with pytest.raises(InputError, match=rf"{words}.*P2"):
        mt.cofunding(reg)
    with pytest.raises(InputError, match=words):
        mt.bootstrap_cofunding(reg, n_boot=9)


def test_missing_status_column_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="status") as err:
        mt.cofunding(_register().drop(columns="status"))
    assert isinstance(err.value, KeyError) and not str(err.value).startswith("'")
    assert len(mt.cofunding(_register().drop(columns="status"), statuses=None)) == 3


def test_groups_with_every_project_excluded_are_listed_with_a_reason():
    out = mt.cofunding(_register())
    assert list(out["province_code"]) == ["01", "03"]
    [excluded] = out.attrs["excluded"]
    assert excluded["province_code"] == "02" and excluded["projects_excluded"] == 2
    assert "status outside" in excluded["reason"]
    assert mt.bootstrap_cofunding(_register(), n_boot=9).attrs["excluded"] == out.attrs["excluded"]
    assert mt.cofunding(_register(), statuses=None).attrs["excluded"] == []


def test_single_project_group_has_no_interval():
    out = mt.bootstrap_cofunding(_register(), n_boot=99, seed=1).set_index("province_code")
    assert out.loc["03", "interval_note"] == mt.TOO_FEW_FOR_INTERVAL
    assert out.loc["03", ["ratio_low", "ratio_high", "share_low", "share_high"]].isna().all()
    assert out.loc["01", "interval_note"] == "" and out.loc["01", "ratio_low"] < out.loc["01", "ratio_high"]


def test_zero_state_draws_are_counted_and_widen_instead_of_vanishing(caplog):
    # two of three projects have no state support: about 8/27 (≈30%) of draws have Σ state = 0
    reg = pd.DataFrame({"project_id": ["A", "B", "C"], "province_code": "01", "status": "completed",
                        "state_support": [0.0, 0.0, 100.0], "beneficiary_contribution": [50.0, 0.0, 100.0]})
    with caplog.at_level(logging.WARNING, logger="khuyencong.analysis.metrics"):
        out = mt.bootstrap_cofunding(reg, n_boot=999, seed=3)
    draws = mt.cofunding_draws(reg, n_boot=999, seed=3)
    zero = int(out["zero_state_draws"].iat[0])
    assert 200 < zero < 400 and zero == draws.zero_state_draws[0]
    assert np.isposinf(draws.ratio).sum() + draws.undefined_draws[0] == zero
    assert out["ratio_high"].iat[0] == np.inf and np.isfinite(out["ratio_low"].iat[0])
    assert "309 of 999 draws in 1 group(s) have no state support" in caplog.text
    assert np.isfinite(draws.state_share).sum() == 999 - draws.undefined_draws[0]


# ---------------------------------------------------------------- models

def _establishments():
    from test_models import sim_establishments  # the estimator tests' simulated panel
    return sim_establishments(n_units=200, seed=7).rename(columns={"establishment_id": "firm"})


def test_cluster_defaults_follow_unit():
    from test_models import sim_provinces
    df = _establishments()
    by_unit = md.did_twfe(df, unit="firm")
    assert by_unit.n_clusters == 200 and "by firm" in by_unit.method
    assert md.sun_abraham_att(df, unit="firm").n_clusters == 200
    pp = sim_provinces(n_prov=14).rename(columns={"province_code": "area"})
    res = fe.panel_twfe(pp, "industrial_growth", "intensity_lag1", unit="area")
    assert res.n_clusters == 14 and "by area" in res.method
    wild = inference.wild_cluster_bootstrap(pp, "industrial_growth", "intensity_lag1", "intensity_lag1", unit="area",
                                            n_boot=99, ci=None)
    assert wild.n_clusters == 14
    with pytest.warns(DeprecationWarning, match="n_boot"):
        old = inference.wild_cluster_bootstrap(pp, "industrial_growth", "intensity_lag1", "intensity_lag1",
                                               unit="area", B=99, ci=None)
    assert old.pvalue == wild.pvalue and old.B == 99


def test_cohort_coding_gives_the_event_time_results():
    df = _establishments()
    cohort = (df["year"] - df["event_time"]).fillna(0)           # first treated year, 0 = never treated
    coded = df.drop(columns="event_time").assign(first_year=cohort)
    a = md.sun_abraham_att(df, unit="firm")
    b = md.sun_abraham_att(coded, unit="firm", cohort="first_year")
    assert (a.coef, a.se) == (b.coef, b.se)
    c = md.sun_abraham_att(coded.assign(first_year=cohort.replace(0, np.nan)), unit="firm", cohort="first_year")
    assert (a.coef, a.se) == (c.coef, c.se)
    by_cohort = md.event_study(coded, unit="firm", cohort="first_year")
    pd.testing.assert_frame_equal(md.event_study(df, unit="firm"), by_cohort)


def test_event_times_outside_the_window_are_binned_or_dropped_and_said_so():
    df = _establishments()
    binned = md.sun_abraham_att(df, unit="firm", window=(-2, 2))
    below, above = int((df["event_time"] < -2).sum()), int((df["event_time"] > 2).sum())
    assert f"binned into (-2, 2): {below} treated rows below, {above} above" in binned.method
    dropped = md.sun_abraham_att(df, unit="firm", window=(-2, 2), outside="drop")
    assert "dropped outside (-2, 2)" in dropped.method and dropped.n_obs == binned.n_obs - below - above
    trimmed = df.loc[~((df["event_time"] < -2) | (df["event_time"] > 2))]
    assert dropped.coef == pytest.approx(md.sun_abraham_att(trimmed, unit="firm", window=(-2, 2)).coef, abs=1e-12)
    es = md.event_study(df, unit="firm", window=(-2, 2), outside="drop")
    assert not es["binned"].any() and es.attrs["above_window"] == above and es.attrs["outside"] == "drop"
    assert md.event_study(df, unit="firm", window=(-2, 2))["binned"].sum() == 2
    with pytest.raises(ValueError, match="outside must be one of"):
        md.sun_abraham_att(df, unit="firm", outside="clip")
