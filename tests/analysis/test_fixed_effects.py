"""Two-way FE OLS (issue 20): absorbed regressors, duplicated unit-years, dropped rows, clusters of variation."""
import numpy as np
import pandas as pd
import pytest
from test_models import sim_establishments, sim_provinces

from khuyencong.analysis import fixed_effects as fe
from khuyencong.analysis import inference
from khuyencong.analysis import models as md
from khuyencong.errors import InputError


def test_a_lone_regressor_absorbed_by_the_fixed_effects_is_refused_naming_it():
    # every unit treated in 2016: treated_post is a year effect; partialled out it is 1e-15 noise,
    # which used to look full rank on its own scale (coef -0.0035, SE 2.4e12; bootstrap p 1, interval ±4e12)
    df = sim_establishments(n_units=40, seed=1, share_treated=1.0, cohorts=[2016])
    with pytest.raises(InputError, match=r"\['treated_post'\] are collinear with the fixed effects"):
        md.did_twfe(df)
    with pytest.raises(InputError, match="treated_post"):
        inference.wild_cluster_bootstrap(df.assign(cl=df["establishment_id"].str[-1]), "log_productivity",
                                         "treated_post", "treated_post", unit="establishment_id", cluster="cl")
    size = df.groupby("establishment_id")["log_productivity"].transform("first")  # constant within each unit
    with pytest.raises(InputError, match="'size'"):
        fe.panel_twfe(df.assign(size=size), "log_productivity", "size", unit="establishment_id")
    with pytest.raises(InputError, match="'one'"):
        fe.panel_twfe(df.assign(one=1.0), "log_productivity", "one", unit="establishment_id", time=None)


def test_small_but_real_variation_is_not_taken_for_rounding_noise():
    pp = sim_provinces(n_prov=40, seed=1)
    pp["event"] = ((pp["province_code"].isin(["03", "17"])) & (pp["year"] == 2018)).astype(float)
    res = fe.panel_twfe(pp, "industrial_growth", ["intensity_lag1", "event"])
    assert np.isfinite(res.table.loc["event", "se"]) and res.n_varying == {"intensity_lag1": 40, "event": 2}


def test_duplicated_unit_year_rows_are_refused_naming_the_unit_and_year():
    df = sim_establishments(n_units=30, seed=2)
    twice = pd.concat([df, df.iloc[[17]]], ignore_index=True)  # E00001 in 2017 (12 years per unit)
    for fit in (md.did_twfe, md.sun_abraham_att, md.event_study):
        with pytest.raises(InputError, match=r"2 rows repeat .* establishment_id 'E00001' in year 2017"):
            fit(twice)
    # without periods (time=None) repeated units are ordinary observations
    assert fe.panel_twfe(twice, "log_productivity", "treated_post", unit="establishment_id", time=None).n_obs == 361


def test_rows_dropped_for_a_missing_cluster_or_an_infinite_outcome_are_counted_in_the_estimate():
    df = sim_establishments(n_units=60, seed=3)
    df["district"] = "D" + (df["establishment_id"].str[-2:].astype(int) % 25).astype(str)
    df.loc[[0, 1], "district"] = None
    df.loc[[5, 40], "log_productivity"] = [np.inf, -np.inf]
    for est in (md.did_twfe(df, cluster="district"), md.sun_abraham_att(df, cluster="district")):
        assert est.n_dropped == 4 and est.n_obs == len(df) - 4
        assert "4 row(s) dropped" in est.notes[0] and "2 in 'log_productivity', 2 in 'district'" in est.notes[0]
    wild = inference.wild_cluster_bootstrap(df, "log_productivity", "treated_post", "treated_post",
                                            unit="establishment_id", cluster="district", n_boot=99, ci=None)
    assert wild.n_dropped == 4
    es = md.event_study(df, cluster="district")
    assert es.attrs["dropped_rows"] == 4 and "2 in 'district'" in es.attrs["notes"][0]
    assert md.did_twfe(sim_establishments(n_units=60, seed=3)).notes == ()


def test_varying_clusters_counts_clusters_with_two_or_more_values():
    values = np.array([[0, 1.0], [1, 2.0], [0, 2.0], [0, 3.0], [5, 3.0]])
    assert fe.varying_clusters(values, np.array([0, 0, 1, 1, 2])).tolist() == [1, 2]
