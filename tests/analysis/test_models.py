"""Estimators: hand-computed cases, cross-checks against linearmodels/statsmodels/wildboottest, Monte Carlo."""
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from khuyencong.analysis import fixed_effects as fe
from khuyencong.analysis import inference
from khuyencong.analysis import models as md


# ---------------------------------------------------------------- simulated data

def sim_establishments(n_units=300, years=range(2012, 2024), effect=lambda e: 0.25, seed=0,
                       share_treated=0.6, cohorts=range(2015, 2021), sd=0.3):
    """Establishment panel: unit FE, random-walk year FE, staggered support, effect(e) from e >= 0."""
    rng = np.random.default_rng(seed)
    yrs = np.asarray(list(years))
    T = len(yrs)
    cohort = np.where(rng.random(n_units) < share_treated, rng.choice(list(cohorts), n_units), np.nan)
    unit = np.repeat(np.arange(n_units), T)
    year = np.tile(yrs, n_units)
    e = year - cohort[unit]
    eff = np.where(e >= 0, np.vectorize(effect, otypes=[float])(np.nan_to_num(e)), 0.0)
    y = (rng.normal(0, 1, n_units)[unit] + rng.normal(0, 0.3, T).cumsum()[np.tile(np.arange(T), n_units)]
         + eff + rng.normal(0, sd, len(unit)))
    return pd.DataFrame({"establishment_id": [f"E{i:05d}" for i in unit], "year": year, "log_productivity": y,
                         "treated_post": (e >= 0).astype(float), "event_time": e, "effect": eff})


def sim_provinces(n_prov=63, years=range(2011, 2024), beta=2.0, seed=0, rho=0.5):
    """Province panel: growth on lagged intensity with province and year FE, AR(1) errors."""
    rng = np.random.default_rng(seed)
    yrs = np.asarray(list(years))
    T = len(yrs)
    fe = rng.normal(0, 0.02, n_prov)
    x = np.abs(0.01 + 0.5 * fe[:, None] + rng.normal(0, 0.004, (n_prov, T)))  # intensity, tied to the FE
    eps = np.zeros((n_prov, T))
    eps[:, 0] = rng.normal(0, 0.02, n_prov)
    for t in range(1, T):
        eps[:, t] = rho * eps[:, t - 1] + rng.normal(0, 0.02, n_prov)
    lag = np.column_stack([np.full(n_prov, np.nan), x[:, :-1]])
    y = fe[:, None] + rng.normal(0, 0.02, T)[None, :] + beta * np.nan_to_num(lag) + eps
    return pd.DataFrame({"province_code": np.repeat([f"{i:02d}" for i in range(n_prov)], T),
                         "year": np.tile(yrs, n_prov), "industrial_growth": y.ravel(),
                         "intensity_lag1": lag.ravel(), "noise": rng.normal(size=n_prov * T)})


# ---------------------------------------------------------------- hand-computed and cross-checks

def test_two_by_two_did_equals_difference_in_differences():
    y = {("A", 0): 1.0, ("A", 1): 4.0, ("B", 0): 2.0, ("B", 1): 7.0,   # treated in year 1
         ("C", 0): 1.0, ("C", 1): 2.0, ("D", 0): 3.0, ("D", 1): 5.0}   # controls
    df = pd.DataFrame([(u, t, v, float(u in "AB" and t == 1)) for (u, t), v in y.items()],
                      columns=["establishment_id", "year", "log_productivity", "treated_post"])
    est = md.did_twfe(df)
    assert est.coef == pytest.approx(((4 - 1 + 7 - 2) / 2) - ((2 - 1 + 5 - 3) / 2))
    assert est.n_obs == 8 and est.n_clusters == 4 and est.few_clusters and "wild" in est.warning


def test_matches_linearmodels_on_unbalanced_panel():
    linearmodels = pytest.importorskip("linearmodels")
    df = sim_establishments(n_units=150, seed=3).sample(frac=0.8, random_state=1).reset_index(drop=True)
    df["size"] = np.random.default_rng(2).normal(size=len(df))
    p = df.set_index(["establishment_id", "year"])
    lm = linearmodels.PanelOLS(p["log_productivity"], p[["treated_post", "size"]], entity_effects=True,
                               time_effects=True).fit(cov_type="clustered", cluster_entity=True, debiased=False,
                                                      auto_df=False, count_effects=False)
    raw = md.did_twfe(df, controls=["size"], small_sample="none")
    assert raw.coef == pytest.approx(lm.params["treated_post"], rel=1e-6)
    assert raw.se == pytest.approx(lm.std_errors["treated_post"], rel=1e-6)
    # CR1: G/(G-1)(N-1)/(N-K), K = 2 regressors + 11 year effects + intercept (units nested in clusters).
    # linearmodels' debiased/group_debias option counts all unit effects in K instead (larger SE).
    cr1 = md.did_twfe(df, controls=["size"])
    G, N, K = raw.n_clusters, raw.n_obs, 2 + 11 + 1
    assert cr1.se == pytest.approx(raw.se * np.sqrt(G / (G - 1) * (N - 1) / (N - K)), rel=1e-10)
    assert cr1.coef == raw.coef


def test_cr1_matches_statsmodels_dummies_when_clusters_cut_across_units():
    sm = pytest.importorskip("statsmodels.api")
    df = sim_establishments(n_units=40, seed=4).sample(frac=0.9, random_state=2).reset_index(drop=True)
    df["district"] = np.random.default_rng(5).integers(0, 25, len(df)).astype(str)
    est = md.did_twfe(df, cluster="district")
    X = pd.get_dummies(df[["treated_post", "establishment_id"]].assign(year=df["year"].astype(str)),
                       columns=["establishment_id", "year"], drop_first=True, dtype=float)
    fit = sm.OLS(df["log_productivity"], sm.add_constant(X)).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["district"])[0]})
    assert est.coef == pytest.approx(fit.params["treated_post"], rel=1e-8)
    assert est.se == pytest.approx(fit.bse["treated_post"], rel=1e-8)


def test_did_is_fast_on_50k_rows():
    df = sim_establishments(n_units=4200, seed=1)
    assert len(df) > 50_000
    start = time.perf_counter()
    est = md.did_twfe(df)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"did_twfe took {elapsed:.2f}s"
    assert abs(est.coef - 0.25) < 4 * est.se


def test_clear_errors():
    df = sim_establishments(n_units=20, seed=0)
    with pytest.raises(KeyError, match="treated"):
        md.did_twfe(df.drop(columns="treated_post"))
    df["ever"] = df["event_time"].notna().astype(float)
    with pytest.raises(ValueError, match="collinear"):
        fe.panel_twfe(df, "log_productivity", ["ever"], unit="establishment_id", cluster="establishment_id")
    with pytest.raises(ValueError, match="small_sample"):
        md.did_twfe(df, small_sample="HC3")


def test_panel_twfe_drops_incomplete_rows_and_flags_few_clusters():
    pp = sim_provinces(n_prov=15, seed=1)
    res = fe.panel_twfe(pp, "industrial_growth", ["intensity_lag1", "noise"])
    assert res.n_dropped == 15 and res.n_obs == 15 * 12
    assert res.few_clusters and "15 clusters" in res.warning
    assert list(res.table.index) == ["intensity_lag1", "noise"]
    est = res.estimate("intensity_lag1")
    assert est.ci_low < est.coef < est.ci_high and est.df == 14


# ---------------------------------------------------------------- event study

def test_sun_abraham_recovers_dynamic_effects_where_twfe_is_biased():
    truth = lambda e: 0.1 * (e + 1)  # noqa: E731  effects growing with time since support
    df = sim_establishments(n_units=800, effect=truth, seed=11)
    es = md.event_study(df, window=(-4, 4))
    assert es["event_time"].tolist() == list(range(-4, 5))
    pre = es[es["event_time"].between(-4, -2)]
    assert (pre["coef"].abs() < 4 * pre["se"]).all()
    post = es[es["event_time"].between(0, 3)]
    assert (np.abs(post["coef"] - truth(post["event_time"])) < 4 * post["se"]).all()
    assert es.loc[es["event_time"] == -1, "coef"].item() == 0
    att = md.sun_abraham_att(df)
    true_att = df.loc[df["treated_post"] == 1, "effect"].mean()
    assert abs(att.coef - true_att) < 4 * att.se
    twfe = md.did_twfe(df)
    print(f"true ATT {true_att:.3f}  Sun-Abraham {att.coef:.3f} ({att.se:.3f})  TWFE {twfe.coef:.3f} ({twfe.se:.3f})")
    assert twfe.coef < true_att - 4 * twfe.se  # the staggered-adoption bias the docstring warns about


def test_event_study_input_checks_and_twfe_variant():
    df = sim_establishments(n_units=200, seed=2)
    pooled = md.event_study(df, method="twfe")
    assert pooled.attrs["method"] == "twfe" and pooled["binned"].sum() == 2
    bad = df.copy()
    bad.loc[bad.index[(bad["event_time"].notna()).to_numpy()][0], "event_time"] = np.nan
    with pytest.raises(ValueError, match="some but not all"):
        md.event_study(bad)
    with pytest.raises(ValueError, match="never-treated"):
        md.event_study(df.dropna(subset=["event_time"]))
    with pytest.raises(ValueError, match="reference"):
        md.event_study(df, window=(0, 4), reference=-1)


def test_cohort_without_reference_period_is_dropped_and_reported():
    df = sim_establishments(n_units=300, seed=5, cohorts=[2012, 2016, 2018])  # 2012 = first panel year
    es = md.event_study(df)
    assert es.attrs["cohorts_without_reference"] == [2012]


# ---------------------------------------------------------------- wild cluster bootstrap

def test_wild_bootstrap_deterministic_fast_and_inverts():
    pp = sim_provinces(seed=2)
    start = time.perf_counter()
    res = inference.wild_cluster_bootstrap(pp, "industrial_growth", ["intensity_lag1", "noise"], "intensity_lag1",
                                    n_boot=999, seed=4)
    assert time.perf_counter() - start < 5
    again = inference.wild_cluster_bootstrap(pp, "industrial_growth", ["intensity_lag1", "noise"], "intensity_lag1",
                                      n_boot=999, seed=4)
    assert res.pvalue == again.pvalue and res.ci_low == again.ci_low
    assert not res.enumerated and res.B == 999 and not res.few_clusters
    assert res.ci_low < res.coef < res.ci_high
    analytic = fe.panel_twfe(pp, "industrial_growth", ["intensity_lag1", "noise"]).estimate("intensity_lag1")
    assert res.coef == pytest.approx(analytic.coef) and res.t_stat == pytest.approx(analytic.coef / analytic.se)
    # test inversion: shifting y by b0 * x tests beta = b0; just inside / outside the interval
    width = res.ci_high - res.ci_low
    for b0, inside in ((res.ci_low + 0.01 * width, True), (res.ci_low - 0.01 * width, False)):
        shifted = pp.assign(industrial_growth=pp["industrial_growth"] - b0 * pp["intensity_lag1"])
        p = inference.wild_cluster_bootstrap(shifted, "industrial_growth", ["intensity_lag1", "noise"],
                                      "intensity_lag1", n_boot=999, seed=4, ci=None).pvalue
        assert (p > 0.05) == inside, (b0, p)


def test_wild_bootstrap_enumerates_and_warns_with_few_clusters():
    pp = sim_provinces(n_prov=8, seed=3)
    res = inference.wild_cluster_bootstrap(pp, "industrial_growth", "intensity_lag1", "intensity_lag1", n_boot=999)
    assert res.enumerated and res.B == 2 ** 8 and res.few_clusters and "webb" in res.warning
    with pytest.raises(ValueError, match="weights"):
        inference.wild_cluster_bootstrap(pp, "industrial_growth", "intensity_lag1", "intensity_lag1", weights="mammen")


def test_wild_bootstrap_matches_wildboottest_package():
    wbt = pytest.importorskip("wildboottest.wildboottest")
    sm = pytest.importorskip("statsmodels.api")
    pp = sim_provinces(n_prov=12, years=range(2013, 2024), seed=6, beta=0.5).dropna().reset_index(drop=True)
    X = pd.get_dummies(pp[["intensity_lag1", "noise", "province_code"]].assign(year=pp["year"].astype(str)),
                       columns=["province_code", "year"], drop_first=True, dtype=float)
    model = sm.OLS(pp["industrial_growth"], sm.add_constant(X))
    clusters = pp["province_code"].astype(int).to_numpy()
    for weights in ("rademacher", "webb"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = wbt.wildboottest(model, B=9999, cluster=clusters, param="intensity_lag1", seed=1,
                                      weights_type=weights, show=False)["p-value"].item()
        ours = inference.wild_cluster_bootstrap(pp, "industrial_growth", ["intensity_lag1", "noise"], "intensity_lag1",
                                         n_boot=9999, seed=2, weights=weights).pvalue
        print(f"WCR p-value ({weights}): ours {ours:.4f}, wildboottest {theirs:.4f}")
        assert abs(ours - theirs) < 0.03


# ---------------------------------------------------------------- Monte Carlo

def _mc_did(R, n_units):
    fits = [md.did_twfe(sim_establishments(n_units=n_units, seed=1000 + r)) for r in range(R)]
    coef = np.array([f.coef for f in fits])
    covered = np.mean([f.ci_low <= 0.25 <= f.ci_high for f in fits])
    return coef, np.mean([f.se for f in fits]), covered


def _mc_province(R):
    fits = [fe.panel_twfe(sim_provinces(seed=2000 + r), "industrial_growth", ["intensity_lag1"]).estimate("intensity_lag1")
            for r in range(R)]
    coef = np.array([f.coef for f in fits])
    return coef, np.mean([f.se for f in fits]), np.mean([f.ci_low <= 2.0 <= f.ci_high for f in fits])


def _check_mc(label, coef, truth, mean_se, coverage, band):
    R = len(coef)
    bias, mc_se = coef.mean() - truth, coef.std(ddof=1) / np.sqrt(R)
    print(f"{label}: R={R} bias={bias:+.4f} (MC s.e. {mc_se:.4f}) sd={coef.std(ddof=1):.4f} "
          f"mean SE={mean_se:.4f} coverage95={coverage:.3f}")
    assert abs(bias) < 3.5 * mc_se
    assert abs(bias) < 0.2 * mean_se
    assert band[0] <= coverage <= band[1]


def test_monte_carlo_did_small():
    coef, se, cov = _mc_did(40, 200)
    _check_mc("DiD TWFE (ATT 0.25)", coef, 0.25, se, cov, (0.85, 1.0))


def test_monte_carlo_province_small():
    coef, se, cov = _mc_province(40)
    _check_mc("province panel (beta 2.0, 63 clusters)", coef, 2.0, se, cov, (0.85, 1.0))


@pytest.mark.slow
def test_monte_carlo_did_200():
    coef, se, cov = _mc_did(200, 300)
    _check_mc("DiD TWFE (ATT 0.25)", coef, 0.25, se, cov, (0.90, 0.99))


@pytest.mark.slow
def test_monte_carlo_province_200():
    coef, se, cov = _mc_province(200)
    _check_mc("province panel (beta 2.0, 63 clusters)", coef, 2.0, se, cov, (0.90, 0.99))


@pytest.mark.slow
def test_monte_carlo_wild_bootstrap_size_with_12_clusters():
    rejections = [inference.wild_cluster_bootstrap(sim_provinces(n_prov=12, beta=0.0, seed=3000 + r), "industrial_growth",
                                            "intensity_lag1", "intensity_lag1", n_boot=399, seed=r, weights="webb",
                                            ci=None).pvalue <= 0.05 for r in range(200)]
    rate = np.mean(rejections)
    print(f"WCR bootstrap rejection rate under the null, 12 clusters, 5% level: {rate:.3f}")
    assert 0.01 <= rate <= 0.10


# ---------------------------------------------------------------- audit of issue 20

def _one_treated_state(seed=2):
    """Treated units (one adoption year) all in state T, controls all in state C."""
    df = sim_establishments(n_units=40, seed=seed, cohorts=[2016])
    return df.assign(state=np.where(df["event_time"].notna(), "T", "C"))


def test_treatment_varying_in_one_cluster_is_refused_not_given_a_noise_standard_error():
    # before: TWFE SE 1.6e-16, p 4e-16, interval of width 4e-15; Sun-Abraham SE 2e-15; wild bootstrap p 0
    from khuyencong.errors import InputError
    df = _one_treated_state()
    for fit in (md.did_twfe, md.sun_abraham_att):
        with pytest.raises(InputError, match="varies within only 1 cluster"):
            fit(df, cluster="state")
    with pytest.raises(InputError, match="'treated_post' varies within only 1 cluster"):
        inference.wild_cluster_bootstrap(df, "log_productivity", "treated_post", "treated_post",
                                         unit="establishment_id", cluster="state")
    es = md.event_study(df, cluster="state")   # coefficients kept, no inference
    assert es["se"].isna().all() and es["pvalue"].isna().all() and es["coef"].notna().all()
    assert es.attrs["one_cluster_event_times"] == [-4, -3, -2, 0, 1, 2, 3, 4]
    one_unit = sim_establishments(n_units=40, seed=2, share_treated=0.0)
    unit = one_unit["establishment_id"] == "E00003"
    one_unit.loc[unit, "event_time"] = one_unit.loc[unit, "year"] - 2016
    one_unit["treated_post"] = (one_unit["event_time"] >= 0).astype(float)
    with pytest.raises(InputError, match="varies within only 1 cluster"):
        md.did_twfe(one_unit)
    row = md.did_estimates(one_unit, min_treated=1).set_index("estimator")  # the tables say why, not a number
    assert row["coef"].isna().all() and row["note"].str.contains("only 1 cluster").all()


def test_staggered_adoption_without_never_treated_units_warns_and_says_so():
    everyone = sim_establishments(n_units=200, seed=4, share_treated=1.0)
    with pytest.warns(UserWarning, match="no never-treated .*Sun-Abraham"):
        est = md.did_twfe(everyone)
    assert isinstance(est.coef, float) and "staggered adoption (6 adoption years)" in est.warning
    assert est.notes and "sun_abraham_att" in est.notes[-1] and not est.few_clusters
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        md.did_twfe(sim_establishments(n_units=200, seed=4))                              # never-treated units
        md.did_twfe(sim_establishments(n_units=60, seed=4, share_treated=1.0, cohorts=[2016, 2016]).assign(
            treated_post=lambda d: np.where(d["establishment_id"] < "E00030", d["treated_post"], 0.0)))


def test_sun_abraham_records_dropped_cohorts_and_leads_pooled_into_the_reference():
    df = sim_establishments(n_units=300, seed=5, cohorts=[2012, 2016, 2018])  # 2012 = first panel year
    att = md.sun_abraham_att(df)
    n_units = df.loc[df["year"] - df["event_time"] == 2012, "establishment_id"].nunique()
    assert any(f"[2012], {n_units} treated unit(s)" in n for n in att.notes)
    assert md.sun_abraham_att(df.loc[df["event_time"].isna() | (df["year"] - df["event_time"] > 2012)]).notes == ()
    leads = int((df["event_time"] < -1).sum())
    pooled = md.event_study(df, window=(-1, 3))
    assert pooled.attrs["pooled_into_reference"] == leads > 0
    assert pooled.loc[pooled["event_time"] == -1, "binned"].item()
    assert any(f"{leads} treated rows" in n and "reference period" in n for n in pooled.attrs["notes"])
    assert any("reference period" in n for n in md.sun_abraham_att(df, window=(-1, 3)).notes)
    assert md.event_study(df, window=(-1, 3), outside="drop").attrs["pooled_into_reference"] == 0


def test_binned_is_flagged_only_at_an_end_that_received_rows():
    df = sim_establishments(n_units=200, seed=2)          # event times -8 .. 11
    es = md.event_study(df, window=(-8, 4))
    assert es.attrs["below_window"] == 0 and es.attrs["above_window"] > 0
    assert es["binned"].tolist() == [False] * 12 + [True]
    assert md.event_study(df, window=(-9, 11))["binned"].sum() == 0
    assert md.event_study(df, window=(-4, 4), method="twfe")["binned"].sum() == 2
