"""Wild cluster bootstrap: one tie rule for the p-value and both ends of the interval (issue 20)."""
import warnings
from itertools import product

import numpy as np
import pandas as pd
import pytest

from khuyencong.analysis import inference

TIE = 1e-9  # the stated rule: |t*| >= |t| (1 - 1e-9) is at least as extreme (inference.TIE_RTOL)


def six_states(seed: int, per: int = 5, years=range(2003, 2008)) -> pd.DataFrame:
    """mpdta-like: counties in 6 states (the clusters), adoption in 2004, 2006 or never."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(6):
        for i in range(per):
            first = (2004, 2006, np.nan)[(g * per + i) % 3]
            level = rng.normal()
            for t in years:
                d = float(not np.isnan(first) and t >= first)
                rows.append((f"{g}-{i}", g, t, level + 0.1 * (t - 2003) + 0.05 * d + rng.normal(0, 0.2), d))
    return pd.DataFrame(rows, columns=["county", "state", "year", "y", "treat"])


def _brute_force_t(df: pd.DataFrame, b0: float = 0.0) -> tuple[float, np.ndarray]:
    """t and the 64 WCR bootstrap t* from explicit dummy regressions, one per sign vector."""
    Z = pd.get_dummies(df[["treat", "county"]].assign(year=df["year"].astype(str)), columns=["county", "year"],
                       drop_first=True, dtype=float).assign(const=1.0).to_numpy()
    y = df["y"].to_numpy() - b0 * df["treat"].to_numpy()
    g = df["state"].to_numpy()
    A = np.linalg.pinv(Z.T @ Z)[0]          # row of (Z'Z)^-1 for treat

    def t_of(yy):
        beta = np.linalg.lstsq(Z, yy, rcond=None)[0]
        score = pd.Series((Z @ A) * (yy - Z @ beta)).groupby(g).sum().to_numpy()
        return beta[0] / np.sqrt((score ** 2).sum())

    restricted = Z[:, 1:] @ np.linalg.lstsq(Z[:, 1:], y, rcond=None)[0]
    u = y - restricted
    states = np.unique(g)
    draws = [t_of(restricted + np.asarray(v)[np.searchsorted(states, g)] * u) for v in product((-1.0, 1.0), repeat=6)]
    return t_of(y), np.array(draws)


@pytest.mark.parametrize("seed", [13, 14])
def test_enumerated_rademacher_counts_the_sign_ties_once_under_one_rule(seed):
    # seed 13: the +1/-1 draws fell 1.6e-14 below |t| and p was 0; seed 14: they fell below too and p was 62/64
    df = six_states(seed)
    res = inference.wild_cluster_bootstrap(df, "y", "treat", "treat", unit="county", cluster="state", n_boot=999)
    t, t_star = _brute_force_t(df)
    # the same bootstrap distribution (relative to t: the CR1 factor cancels)
    assert np.sort(np.abs(res.t_boot)) / abs(res.t_stat) == pytest.approx(np.sort(np.abs(t_star)) / abs(t), rel=1e-7)
    assert np.sum(np.isclose(np.abs(t_star), abs(t), rtol=TIE)) == 2
    assert res.pvalue == np.mean(np.abs(t_star) >= abs(t) * (1 - TIE)) == {13: 2 / 64, 14: 1.0}[seed]
    assert res.enumerated and res.B == 64 and res.ties == 2 and inference.TIE_RTOL == TIE


@pytest.mark.parametrize("seed", [1, 3, 13])
def test_both_interval_ends_follow_the_tie_rule(seed):
    """Just outside each end the p-value is the tie share 2/64 (<= 5%); just inside it is above 5%, by the
    brute-force count at that null value, with no rounding deciding either side."""
    df = six_states(seed)
    res = inference.wild_cluster_bootstrap(df, "y", "treat", "treat", unit="county", cluster="state", n_boot=999)
    width = res.ci_high - res.ci_low
    for end, out in ((res.ci_low, -1), (res.ci_high, 1)):
        for b0, rejected in ((end + out * 1e-6 * width, True), (end - out * 1e-6 * width, False)):
            t, t_star = _brute_force_t(df, b0)
            p = np.mean(np.abs(t_star) >= abs(t) * (1 - TIE))
            assert (p <= 0.05) == rejected, (end, b0, p)
            if rejected:
                assert p == 2 / 64


def test_tie_rule_matches_wildboottest_distribution():
    """wildboottest enumerates the same 64 draws; its strict '<' leaves the two ties out, ours counts them."""
    wbt = pytest.importorskip("wildboottest.wildboottest")
    sm = pytest.importorskip("statsmodels.api")
    df = six_states(14)
    X = pd.get_dummies(df[["treat", "county"]].assign(year=df["year"].astype(str)), columns=["county", "year"],
                       drop_first=True, dtype=float)
    X = sm.add_constant(X)
    boot = wbt.WildboottestCL(X=X.to_numpy(), Y=df["y"].to_numpy(), cluster=df["state"].to_numpy(),
                              R=(X.columns == "treat").astype(float), B=9999, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot.get_scores(bootstrap_type="11", impose_null=True)
        boot.get_weights(weights_type="rademacher")
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        boot.get_vcov()
        boot.get_tstat()
        boot.get_pvalue(pval_type="two-tailed")
    theirs = np.ravel(boot.t_boot)
    t = float(np.ravel(boot.t_stat)[0])
    ours = inference.wild_cluster_bootstrap(df, "y", "treat", "treat", unit="county", cluster="state", n_boot=999)
    assert len(theirs) == ours.B == 64
    assert np.sort(np.abs(theirs)) / abs(t) == pytest.approx(np.sort(np.abs(ours.t_boot)) / abs(ours.t_stat), rel=1e-7)
    assert ours.pvalue == np.mean(np.abs(theirs) >= abs(t) * (1 - TIE))
    assert ours.pvalue - 2 / 64 == pytest.approx(np.mean(np.abs(theirs) > abs(t) * (1 + TIE)))  # theirs, no ties


def test_five_enumerated_clusters_cannot_reject_and_say_so():
    df = six_states(13)
    df = df.loc[df["state"] < 5]
    res = inference.wild_cluster_bootstrap(df, "y", "treat", "treat", unit="county", cluster="state", n_boot=999)
    assert res.B == 32 and res.pvalue >= 2 / 32 > 0.05
    assert np.isnan(res.ci_low) and np.isnan(res.ci_high)
    assert "unbounded" in res.warning
