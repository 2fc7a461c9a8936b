"""Estimators: two-way fixed-effects DiD, event studies, province panels and the wild cluster bootstrap.

All fixed effects are partialled out exactly (no iteration): outcome and regressors are demeaned
by unit, then the unit-demeaned time dummies are projected out (Frisch-Waugh-Lovell). This is
exact for unbalanced panels and fast because the number of periods is small.

Cluster-robust variances use the CR1 correction of Stata (``xtreg, fe vce(cluster)`` and
``reghdfe``): ``G/(G-1) * (N-1)/(N-K)``, where K counts the regressors plus the absorbed
fixed effects that are *not* nested in the clusters (plus one for the intercept when some are
nested). t-tests and intervals use Student's t with G-1 degrees of freedom. Singleton units are
kept (they add nothing to the estimate but count in N; ``reghdfe`` drops them). With
``small_sample="none"`` the variance equals ``linearmodels.PanelOLS(...).fit(cov_type="clustered",
debiased=False, auto_df=False, count_effects=False)``; linearmodels' own ``debiased=True,
group_debias=True`` counts every unit effect in K for two-way models, giving larger SEs than Stata.

Staggered adoption: a single treated-post dummy with unit and year effects (``did_twfe``) is a
weighted average of all 2x2 comparisons, including "forbidden" ones that use already-treated units
as controls; with effects that vary over time or cohort it can be badly biased, even of the wrong
sign (Goodman-Bacon 2021, J. Econometrics; de Chaisemartin & D'Haultfœuille 2020, AER). Use
:func:`event_study` / :func:`sun_abraham_att` (Sun & Abraham 2021, J. Econometrics) — cohort x
event-time interactions against never-treated units, averaged with cohort shares — as the default
in the notebooks; ``did_twfe`` is kept for comparison and for designs with a single adoption date.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

FEW_CLUSTERS = 20
WEBB_BELOW = 12
_SSC = ("CR1", "none")


def few_clusters_warning(n_clusters: int) -> str:
    """Warning text when there are fewer than ``FEW_CLUSTERS`` clusters, else ''."""
    if n_clusters >= FEW_CLUSTERS:
        return ""
    weights = "Webb" if n_clusters < WEBB_BELOW else "Rademacher"
    return (f"only {n_clusters} clusters: cluster-robust t-tests over-reject with fewer than "
            f"{FEW_CLUSTERS} clusters; report the wild cluster bootstrap p-value "
            f"(wild_cluster_bootstrap, {weights} weights) instead")


@dataclass(frozen=True)
class Estimate:
    """One coefficient with its cluster-robust inference."""

    coef: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    n_obs: int
    n_clusters: int
    method: str
    df: int = 0
    few_clusters: bool = False
    warning: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PanelResult:
    """Coefficient table of a fixed-effects panel regression."""

    table: pd.DataFrame  # index: regressor; columns coef, se, t, pvalue, ci_low, ci_high
    vcov: pd.DataFrame
    n_obs: int
    n_clusters: int
    n_dropped: int
    df: int
    method: str
    few_clusters: bool
    warning: str

    def estimate(self, name: str) -> Estimate:
        if name not in self.table.index:
            raise KeyError(f"{name!r} is not a regressor; choose one of {list(self.table.index)}")
        r = self.table.loc[name]
        return Estimate(float(r["coef"]), float(r["se"]), float(r["ci_low"]), float(r["ci_high"]),
                        float(r["pvalue"]), self.n_obs, self.n_clusters, self.method, self.df,
                        self.few_clusters, self.warning)


@dataclass(frozen=True)
class WildBootstrapResult:
    """Wild cluster restricted (WCR) bootstrap-t for one coefficient."""

    param: str
    coef: float
    t_stat: float
    pvalue: float
    ci_low: float
    ci_high: float
    B: int
    n_clusters: int
    weights: str
    enumerated: bool
    few_clusters: bool
    warning: str
    t_boot: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


# ---------------------------------------------------------------- data preparation

def _require(panel: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in panel.columns]
    if missing:
        raise KeyError(f"panel lacks column(s) {missing}; available: {list(panel.columns)}")


def _complete(panel: pd.DataFrame, numeric: Sequence[str], keys: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Rows with every needed value present; numeric columns as float. Returns (frame, n_dropped)."""
    cols = list(dict.fromkeys([*numeric, *keys]))
    _require(panel, cols)
    data = panel[cols].copy()
    for c in dict.fromkeys(numeric):
        try:
            data[c] = pd.to_numeric(data[c]).astype(float)
        except (TypeError, ValueError) as err:
            raise TypeError(f"column {c!r} must be numeric: {err}") from None
    ok = data.notna().all(axis=1) & np.isfinite(data[list(dict.fromkeys(numeric))]).all(axis=1)
    if not ok.any():
        raise ValueError(f"no complete rows in columns {cols}")
    return data.loc[ok].reset_index(drop=True), int((~ok).sum())


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), len(uniques)


def _indicator(codes: np.ndarray, n: int) -> sparse.csr_matrix:
    """Sparse (levels x rows) membership matrix."""
    rows = np.arange(len(codes))
    return sparse.csr_matrix((np.ones(len(codes)), (codes, rows)), shape=(n, len(codes)))


def _demean(mat: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    ind = _indicator(codes, n)
    counts = np.asarray(ind.sum(axis=1)).ravel()
    means = (ind @ mat) / counts[:, None]
    return mat - means[codes]


def _partial_out(mat: np.ndarray, unit: np.ndarray, n_unit: int,
                 time: np.ndarray | None, n_time: int) -> tuple[np.ndarray, int]:
    """Residuals of each column on unit and (optionally) time effects; returns (residuals, FE rank)."""
    out = _demean(mat, unit, n_unit)
    if time is None or n_time < 2:
        return out, n_unit
    dummies = np.zeros((len(time), n_time - 1))
    keep = time > 0
    dummies[np.flatnonzero(keep), time[keep] - 1] = 1.0
    dummies = _demean(dummies, unit, n_unit)
    gram = dummies.T @ dummies
    rank = _rank(gram)
    coefs = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ (dummies.T @ out)
    return out - dummies @ coefs, n_unit + rank


def _rank(gram: np.ndarray) -> int:
    """Rank of a cross-product matrix, scale-free (columns normalised)."""
    if gram.size == 0:
        return 0
    diag = np.diag(gram)
    keep = diag > 1e-12 * max(diag.max(), 1e-300)
    scale = np.sqrt(diag[keep])
    eig = np.linalg.eigvalsh(gram[np.ix_(keep, keep)] / np.outer(scale, scale))
    return int((eig > 1e-9 * len(eig)).sum())


def _nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every level of ``inner`` lies within a single level of ``outer``."""
    pairs = pd.DataFrame({"i": inner, "o": outer}).drop_duplicates()
    return not pairs["i"].duplicated().any()


@dataclass(frozen=True)
class _Design:
    y: np.ndarray
    X: np.ndarray
    names: list[str]
    cluster: np.ndarray
    n_clusters: int
    fe_dof: int  # absorbed FE counted in K (CR1)
    n_dropped: int
    absorb: Callable[[np.ndarray], np.ndarray]  # residualises (n x m) columns on the fixed effects


def _design(panel: pd.DataFrame, y: str, x: Sequence[str], unit: str, time: str | None,
            cluster: str) -> _Design:
    keys = [unit, cluster] + ([time] if time else [])
    data, dropped = _complete(panel, [y, *x], keys)
    u, n_u = _codes(data[unit])
    t, n_t = _codes(data[time]) if time else (None, 0)
    g, n_g = _codes(data[cluster])
    mat = data[[y, *x]].to_numpy(dtype=float)
    resid, fe_rank = _partial_out(mat, u, n_u, t, n_t)
    redundant = 0
    if _nested(u, g):
        redundant += n_u - 1
    if t is not None and n_t > 1 and _nested(t, g):
        redundant += n_t - 1
    return _Design(resid[:, 0], resid[:, 1:], list(x), g, n_g, fe_rank - redundant, dropped,
                   lambda m: _partial_out(m, u, n_u, t, n_t)[0])


# ---------------------------------------------------------------- OLS with cluster-robust variance

def _ols(d: _Design, small_sample: str = "CR1") -> tuple[np.ndarray, np.ndarray, int]:
    """Coefficients, cluster-robust covariance and K (columns counted in the correction)."""
    if small_sample not in _SSC:
        raise ValueError(f"small_sample must be one of {_SSC}, not {small_sample!r}")
    X, y = d.X, d.y
    n, k = X.shape
    xtx = X.T @ X
    rank = _rank(xtx)
    if rank < k:
        bad = [nm for j, nm in enumerate(d.names) if not np.any(np.abs(X[:, j]) > 1e-10)]
        raise ValueError(f"regressors are collinear with the fixed effects or each other "
                         f"(rank {rank} < {k}); constant within the fixed effects: {bad or 'none'} — "
                         "drop or recode them")
    if d.n_clusters < 2:
        raise ValueError("cluster-robust inference needs at least 2 clusters")
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (X.T @ y)
    scores = _indicator(d.cluster, d.n_clusters) @ (X * (y - X @ beta)[:, None])
    vcov = xtx_inv @ (scores.T @ scores) @ xtx_inv
    K = k + d.fe_dof
    if small_sample == "CR1":
        if n - K <= 0:
            raise ValueError(f"no residual degrees of freedom: N={n}, K={K}")
        g = d.n_clusters
        vcov = vcov * (g / (g - 1)) * ((n - 1) / (n - K))
    return beta, (vcov + vcov.T) / 2, K


def _table(names: Sequence[str], beta: np.ndarray, vcov: np.ndarray, df: int, ci: float) -> pd.DataFrame:
    se = np.sqrt(np.diag(vcov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    q = stats.t.ppf(0.5 + ci / 2, df)
    return pd.DataFrame({"coef": beta, "se": se, "t": t, "pvalue": 2 * stats.t.sf(np.abs(t), df),
                         "ci_low": beta - q * se, "ci_high": beta + q * se}, index=pd.Index(list(names)))


def _check_ci(ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a coverage level between 0 and 1 (e.g. 0.95), not {ci}")


def panel_twfe(panel: pd.DataFrame, y: str, x: Sequence[str] | str, unit: str = "province_code",
               time: str | None = "year", cluster: str | None = "province_code", ci: float = 0.95,
               small_sample: str = "CR1") -> PanelResult:
    """OLS of ``y`` on ``x`` with unit and time fixed effects, clustered by ``cluster``.

    Rows with any needed value missing (e.g. the first years of a lagged regressor) are dropped
    and counted in ``n_dropped``. ``time=None`` gives unit effects only.
    """
    _check_ci(ci)
    x = [x] if isinstance(x, str) else list(x)
    if not x:
        raise ValueError("x must name at least one regressor")
    cluster = cluster or unit
    d = _design(panel, y, x, unit, time, cluster)
    beta, vcov, K = _ols(d, small_sample)
    df = d.n_clusters - 1
    warning = few_clusters_warning(d.n_clusters)
    return PanelResult(_table(x, beta, vcov, df, ci), pd.DataFrame(vcov, index=x, columns=x), len(d.y),
                       d.n_clusters, d.n_dropped, df,
                       f"two-way FE ({unit}{', ' + time if time else ''}) OLS, {small_sample} "
                       f"cluster-robust SE by {cluster}, t({df})",
                       bool(warning), warning)


def did_twfe(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
             time: str = "year", treat_post: str = "treated_post", cluster: str = "establishment_id",
             controls: Sequence[str] = (), ci: float = 0.95, small_sample: str = "CR1") -> Estimate:
    """Two-way fixed-effects difference-in-differences coefficient on ``treat_post``.

    Biased under staggered adoption with heterogeneous effects (see the module docstring); prefer
    :func:`sun_abraham_att` there.
    """
    res = panel_twfe(panel, outcome, [treat_post, *controls], unit, time, cluster, ci, small_sample)
    est = res.estimate(treat_post)
    return Estimate(**{**est.as_dict(), "method": "TWFE DiD: " + res.method})


# ---------------------------------------------------------------- event studies

def _event_frame(panel: pd.DataFrame, outcome: str, unit: str, time: str, event_time: str,
                 cluster: str, window: tuple[int, int], reference: int) -> tuple[pd.DataFrame, int]:
    lo, hi = window
    if not lo <= reference <= hi or lo >= hi:
        raise ValueError(f"window {window} must satisfy lo < hi and contain the reference period {reference}")
    _require(panel, [outcome, unit, time, event_time, cluster])
    data, dropped = _complete(panel.assign(_ev=pd.to_numeric(panel[event_time]).fillna(np.inf)),
                              [outcome], [unit, time, cluster, "_ev"])
    data[time] = pd.to_numeric(data[time])
    treated_rows = np.isfinite(data["_ev"].to_numpy(dtype=float))
    by_unit = pd.Series(treated_rows).groupby(data[unit].to_numpy()).agg(["any", "all"])
    mixed = by_unit["any"] & ~by_unit["all"]
    if mixed.any():
        raise ValueError(f"{event_time!r} is missing on some but not all rows of {int(mixed.sum())} units "
                         f"(e.g. {list(mixed[mixed].index[:3])}); it must be empty for every row of a "
                         "never-treated unit and filled for every row of a treated one")
    data["_cohort"] = np.where(treated_rows, data[time] - data["_ev"], np.inf)
    if (data.groupby(unit)["_cohort"].nunique() > 1).any():
        raise ValueError(f"{time} - {event_time} (the adoption year) must be constant within each unit")
    data["_e"] = np.where(treated_rows, data["_ev"].clip(lo, hi), np.nan)
    if not (~treated_rows).any():
        raise ValueError("no never-treated units (event_time empty): this estimator uses them as "
                         "controls; add comparison units or restrict to a window where some are untreated")
    return data, dropped


def _fit_cells(data: pd.DataFrame, cell: np.ndarray, n_cells: int, outcome: str, unit: str, time: str,
               cluster: str) -> tuple[np.ndarray, np.ndarray, _Design]:
    """Regress on one dummy per cell code (code -1: reference rows and controls, no dummy)."""
    names = [f"_cell{i}" for i in range(n_cells)]
    dummies = np.zeros((len(cell), n_cells))
    hit = cell >= 0
    dummies[np.flatnonzero(hit), cell[hit]] = 1.0
    frame = pd.concat([data[list(dict.fromkeys([outcome, unit, time, cluster]))].reset_index(drop=True),
                       pd.DataFrame(dummies, columns=names)], axis=1)
    d = _design(frame, outcome, names, unit, time, cluster)
    beta, vcov, _ = _ols(d)
    return beta, vcov, d


def _sun_abraham(panel, outcome, unit, time, event_time, cluster, window, reference):
    data, dropped = _event_frame(panel, outcome, unit, time, event_time, cluster, window, reference)
    treated = np.isfinite(data["_cohort"])
    has_ref = data.loc[treated & (data["_e"] == reference)].groupby("_cohort").size()
    cohorts = data.loc[treated, "_cohort"].unique()
    no_ref = sorted(set(cohorts) - set(has_ref.index))
    data = data.loc[~data["_cohort"].isin(no_ref)].reset_index(drop=True)
    treated = np.isfinite(data["_cohort"])
    has_cell = (treated & (data["_e"] != reference)).to_numpy()
    pairs = data.loc[has_cell, ["_cohort", "_e"]]
    cell = np.full(len(data), -1, dtype=np.int64)
    cell[has_cell] = pairs.groupby(["_cohort", "_e"], sort=True).ngroup().to_numpy()
    counts = pairs.groupby(["_cohort", "_e"], sort=True).size()
    labels = [(float(c), float(e)) for c, e in counts.index]
    beta, vcov, d = _fit_cells(data, cell, len(labels), outcome, unit, time, cluster)
    n = counts.to_numpy(dtype=float)
    meta = {"dropped_rows": dropped, "cohorts_without_reference": [int(c) for c in no_ref],
            "n_obs": len(d.y), "n_clusters": d.n_clusters}
    return labels, beta, vcov, n, meta


def _combine(weights: np.ndarray, beta: np.ndarray, vcov: np.ndarray) -> tuple[float, float]:
    return float(weights @ beta), float(np.sqrt(weights @ vcov @ weights))


def event_study(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                time: str = "year", event_time: str = "event_time", window: tuple[int, int] = (-4, 4),
                reference: int = -1, cluster: str | None = None, method: str = "sun_abraham",
                ci: float = 0.95) -> pd.DataFrame:
    """Event-study coefficients by event time (``time`` minus adoption year) with CIs.

    ``event_time`` is empty (NaN) for never-treated units, which serve as controls. Event times
    outside ``window`` are binned into its end points. ``method="sun_abraham"`` (default) fits
    cohort x event-time dummies with unit and time effects and averages them by each cohort's
    share of the treated observations at that event time (weights treated as fixed in the
    standard errors); cohorts never observed at ``reference`` are dropped (listed in
    ``attrs["cohorts_without_reference"]``). ``method="twfe"`` pools cohorts in one dummy per event
    time — biased with heterogeneous effects, kept for comparison. The reference row has coef 0.
    """
    _check_ci(ci)
    cluster = cluster or unit
    if method == "sun_abraham":
        labels, beta, vcov, n, meta = _sun_abraham(panel, outcome, unit, time, event_time, cluster,
                                                    window, reference)
        ev = np.array([lab[1] for lab in labels])
    elif method == "twfe":
        data, dropped = _event_frame(panel, outcome, unit, time, event_time, cluster, window, reference)
        has_cell = (data["_e"].notna() & (data["_e"] != reference)).to_numpy()
        labels = sorted(data.loc[has_cell, "_e"].unique())
        cell = np.full(len(data), -1, dtype=np.int64)
        cell[has_cell] = np.searchsorted(labels, data.loc[has_cell, "_e"].to_numpy())
        beta, vcov, d = _fit_cells(data, cell, len(labels), outcome, unit, time, cluster)
        ev = np.array(labels, dtype=float)
        n = data.loc[has_cell, "_e"].value_counts().reindex(labels).to_numpy(dtype=float)
        meta = {"dropped_rows": dropped, "cohorts_without_reference": [], "n_obs": len(d.y),
                "n_clusters": d.n_clusters}
    else:
        raise ValueError(f"method must be 'sun_abraham' or 'twfe', not {method!r}")
    df = meta["n_clusters"] - 1
    q = stats.t.ppf(0.5 + ci / 2, df)
    rows = []
    for e in range(window[0], window[1] + 1):
        sel = ev == e
        if e == reference or not sel.any():
            rows.append({"event_time": e, "coef": 0.0 if e == reference else np.nan, "se": np.nan,
                         "n_treated_obs": 0})
            continue
        w = np.where(sel, n, 0.0) / n[sel].sum()
        coef, se = _combine(w, beta, vcov)
        rows.append({"event_time": e, "coef": coef, "se": se, "n_treated_obs": int(n[sel].sum())})
    out = pd.DataFrame(rows)
    out["ci_low"], out["ci_high"] = out["coef"] - q * out["se"], out["coef"] + q * out["se"]
    out["pvalue"] = 2 * stats.t.sf(np.abs(out["coef"] / out["se"]), df)
    out["binned"] = out["event_time"].isin(window)
    out.attrs.update(meta, method=method, reference=reference, window=tuple(window), df=df,
                     warning=few_clusters_warning(meta["n_clusters"]))
    return out


def sun_abraham_att(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                    time: str = "year", event_time: str = "event_time", window: tuple[int, int] = (-4, 4),
                    reference: int = -1, cluster: str | None = None, ci: float = 0.95) -> Estimate:
    """Average effect on the treated: post-period (event time >= 0) cohort x event-time effects of
    the Sun & Abraham regression, weighted by their numbers of treated observations."""
    _check_ci(ci)
    cluster = cluster or unit
    labels, beta, vcov, n, meta = _sun_abraham(panel, outcome, unit, time, event_time, cluster,
                                                window, reference)
    post = np.array([lab[1] >= 0 for lab in labels])
    if not post.any():
        raise ValueError("no treated observations at event time >= 0")
    w = np.where(post, n, 0.0) / n[post].sum()
    coef, se = _combine(w, beta, vcov)
    g = meta["n_clusters"]
    df = g - 1
    q = stats.t.ppf(0.5 + ci / 2, df)
    warning = few_clusters_warning(g)
    return Estimate(coef, se, float(coef - q * se), float(coef + q * se), float(2 * stats.t.sf(abs(coef / se), df)),
                    meta["n_obs"], g, f"Sun-Abraham ATT (never-treated controls), CR1 by {cluster}, t({df})",
                    df, bool(warning), warning)


# ---------------------------------------------------------------- wild cluster bootstrap

_WEBB = np.sqrt(np.array([3, 2, 1, 1, 2, 3]) / 2) * np.array([-1, -1, -1, 1, 1, 1])


def _boot_weights(G: int, B: int, weights: str, rng: np.random.Generator,
                  full_enumeration: bool | str) -> tuple[np.ndarray, bool]:
    """(G x B) weight matrix; all 2^G Rademacher sign patterns when that is no more than B."""
    if weights == "rademacher":
        enum = (2 ** G <= B) if full_enumeration == "auto" else bool(full_enumeration)
        if enum:
            return np.array(list(product([-1.0, 1.0], repeat=G))).T, True
        return rng.integers(0, 2, size=(G, B)) * 2.0 - 1.0, False
    if weights == "webb":
        return _WEBB[rng.integers(0, 6, size=(G, B))], False
    raise ValueError(f"weights must be 'rademacher' or 'webb', not {weights!r}")


def _wcr_parts(d: _Design, j: int, v: np.ndarray):
    """Pieces linear in the null value b0: t*_b(b0) = (na - b0 nb) / sqrt(ssc (aa - 2 b0 ab + b0² bb)).

    Bootstrap residuals are M (v ⊙ u), with M the annihilator of the regressors *and* the fixed
    effects, so the result equals the bootstrap of the model with FE dummies (time effects cross
    clusters, so re-absorbing them matters). Cost O(n x G): meant for tens of clusters.
    """
    X, y = d.X, d.y
    A = np.linalg.inv(X.T @ X)
    others = np.delete(np.arange(X.shape[1]), j)
    Xo = X[:, others]
    proj = (lambda z: z - Xo @ np.linalg.lstsq(Xo, z, rcond=None)[0]) if len(others) else (lambda z: z)
    ind = _indicator(d.cluster, d.n_clusters)
    w = X @ A[:, j]                       # row j of (X'X)^-1 X', per observation
    parts = []
    for u in (proj(y), proj(X[:, j])):    # restricted residuals: u(b0) = u_a - b0 u_b
        U = ind.T.multiply(u[:, None]).toarray()       # n x G: u on the rows of each cluster
        S = X.T @ U                                    # k x G cluster scores
        MU = d.absorb(U) - X @ (A @ S)                 # residuals of each cluster's part
        K = ind @ (w[:, None] * MU)                    # G x G: K[h, g] = w_h' (M E_g u)_h
        parts.append(((A @ S)[j] @ v, K @ v))
    (na, za), (nb, zb) = parts
    return na, nb, (za * za).sum(0), (za * zb).sum(0), (zb * zb).sum(0)


def wild_cluster_bootstrap(panel: pd.DataFrame, y: str, x: Sequence[str] | str, param: str,
                           unit: str = "province_code", time: str | None = "year",
                           cluster: str = "province_code", B: int = 999, seed: int = 0,
                           weights: str = "rademacher", ci: float | None = 0.95,
                           full_enumeration: bool | str = "auto") -> WildBootstrapResult:
    """WCR bootstrap-t (null imposed, CR1 t statistic) for ``param`` after partialling out the FE.

    Two-sided p-value = share of bootstrap |t*| above |t| (Roodman et al. 2019, "fast and wild").
    Rademacher weights are fully enumerated when 2^G <= B. The interval inverts the test over the
    null value with the same weights (bisection). Memory is O(G x B): meant for tens of clusters.
    """
    x = [x] if isinstance(x, str) else list(x)
    if param not in x:
        raise ValueError(f"param {param!r} must be one of x={x}")
    if B < 1:
        raise ValueError("B must be a positive number of bootstrap draws")
    if ci is not None:
        _check_ci(ci)
    d = _design(panel, y, x, unit, time, cluster)
    beta, vcov, _ = _ols(d, "CR1")
    j = x.index(param)
    coef, se = float(beta[j]), float(np.sqrt(vcov[j, j]))
    G, n = d.n_clusters, len(d.y)
    ssc = G / (G - 1) * (n - 1) / (n - len(x) - d.fe_dof)
    v, enumerated = _boot_weights(G, B, weights, np.random.default_rng(seed), full_enumeration)
    na, nb, aa, ab, bb = _wcr_parts(d, j, v)

    def pvalue(b0: float) -> tuple[float, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            t_boot = (na - b0 * nb) / np.sqrt(ssc * (aa - 2 * b0 * ab + b0 * b0 * bb))
        return float(np.mean(np.abs(t_boot) > abs((coef - b0) / se))), t_boot

    p, t_boot = pvalue(0.0)
    low = high = np.nan
    if ci is not None:
        low, high = (_invert(pvalue, coef, se, 1 - ci, side) for side in (-1, 1))
    warning = few_clusters_warning(G)
    if weights == "rademacher" and G < WEBB_BELOW:
        warning += f"; with {G} clusters Rademacher weights allow only 2^{G} distinct draws — use weights='webb'"
    return WildBootstrapResult(param, coef, coef / se, p, low, high, v.shape[1], G, weights, enumerated,
                               G < FEW_CLUSTERS, warning, t_boot)


def _invert(pvalue, coef: float, se: float, alpha: float, side: int, iters: int = 60) -> float:
    """Null value on one side of ``coef`` where the bootstrap p-value falls to ``alpha``."""
    inner, step = coef, se
    outer = coef + side * step
    for _ in range(40):
        if pvalue(outer)[0] <= alpha:
            break
        inner, step = outer, step * 2
        outer = coef + side * step
    else:
        return np.nan
    for _ in range(iters):
        mid = (inner + outer) / 2
        if pvalue(mid)[0] > alpha:
            inner = mid
        else:
            outer = mid
    return (inner + outer) / 2


# ---------------------------------------------------------------- sample size, summaries, groups

MIN_TREATED_UNITS = 10     # fewer treated units than this: no DiD estimate is reported
MIN_COMPARISON_UNITS = 10  # likewise for never-treated comparison units


def log_to_pct(x):
    """Log points to a proportional change: exp(x) - 1 (0.2 → 0.221)."""
    return np.expm1(np.asarray(x, dtype=float)) if np.ndim(x) else float(np.expm1(x))


def unit_counts(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                event_time: str = "event_time") -> tuple[int, int]:
    """(treated units, never-treated units) among rows with a finite ``outcome``."""
    _require(panel, [outcome, unit, event_time])
    ok = np.isfinite(pd.to_numeric(panel[outcome]).to_numpy(dtype=float))
    data = panel.loc[ok]
    treated = pd.to_numeric(data[event_time]).notna()
    return int(data.loc[treated, unit].nunique()), int(data.loc[~treated, unit].nunique())


def sample_size_problem(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                        event_time: str = "event_time", min_treated: int = MIN_TREATED_UNITS,
                        min_comparison: int = MIN_COMPARISON_UNITS) -> str:
    """'' when there are enough treated and never-treated units for a DiD, else the reason."""
    n_treated, n_comparison = unit_counts(panel, outcome, unit, event_time)
    if n_treated < min_treated or n_comparison < min_comparison:
        return (f"too few units for a difference-in-differences: {n_treated} treated (need {min_treated}) "
                f"and {n_comparison} comparison (need {min_comparison})")
    return ""


def _estimate_row(name: str, fit: Callable[[], Estimate]) -> dict:
    try:
        est = fit().as_dict()
    except ValueError as err:  # e.g. no cohort with a reference period in a small sample
        return {"estimator": name, "coef": np.nan, "note": str(err)}
    return {"estimator": name, **{k: est[k] for k in ("coef", "se", "ci_low", "ci_high", "pvalue", "n_obs",
                                                      "n_clusters")}, "note": est["warning"]}


def _with_pct(table: pd.DataFrame) -> pd.DataFrame:
    for col in ("coef", "ci_low", "ci_high"):
        if col not in table:
            table[col] = np.nan
        table[col.replace("coef", "pct").replace("ci_", "pct_")] = log_to_pct(table[col].to_numpy(dtype=float))
    return table


def did_estimates(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                  time: str = "year", event_time: str = "event_time", treat_post: str = "treated_post",
                  window: tuple[int, int] = (-4, 4), reference: int = -1, ci: float = 0.95,
                  min_treated: int = MIN_TREATED_UNITS, min_comparison: int = MIN_COMPARISON_UNITS) -> pd.DataFrame:
    """Sun-Abraham ATT (first row, the headline under staggered adoption) and the TWFE DiD, both
    clustered by ``unit``, with ``pct`` = exp(coef) - 1 and its interval. Too small a sample gives no
    rows and ``attrs["problem"]``; an estimator that cannot be fitted gives NaN and its reason in ``note``."""
    problem = sample_size_problem(panel, outcome, unit, event_time, min_treated, min_comparison)
    cols = ["estimator", "coef", "se", "ci_low", "ci_high", "pvalue", "n_obs", "n_clusters", "note"]
    if problem:
        out = _with_pct(pd.DataFrame(columns=cols))
        out.attrs["problem"] = problem
        return out
    rows = [_estimate_row("sun_abraham", lambda: sun_abraham_att(panel, outcome, unit, time, event_time, window,
                                                                 reference, unit, ci)),
            _estimate_row("twfe", lambda: did_twfe(panel, outcome, unit, time, treat_post, unit, ci=ci))]
    out = _with_pct(pd.DataFrame(rows, columns=cols))
    out.attrs["problem"] = ""
    return out


def did_by_group(panel: pd.DataFrame, group: str, outcome: str = "log_productivity", unit: str = "establishment_id",
                 time: str = "year", event_time: str = "event_time", window: tuple[int, int] = (-4, 4),
                 reference: int = -1, ci: float = 0.95, min_treated: int = MIN_TREATED_UNITS) -> pd.DataFrame:
    """Sun-Abraham ATT per level of ``group`` (constant within each treated unit, e.g. the category
    of the first support): that level's treated units against every never-treated unit.

    Levels with fewer than ``min_treated`` treated units get NaN and a note. Columns: ``group``
    level, ``n_treated`` units, coef, se, CI, p-value, n_obs, n_clusters, pct, note.
    """
    _require(panel, [group, unit, event_time, outcome])
    treated = pd.to_numeric(panel[event_time]).notna()
    if (panel.loc[treated].groupby(unit)[group].nunique(dropna=False) > 1).any():
        raise ValueError(f"{group!r} must be constant within each treated {unit}")
    controls = panel.loc[~treated]
    rows = []
    for level, part in panel.loc[treated].groupby(group, sort=True):
        n = int(part[unit].nunique())
        sub = pd.concat([part, controls], ignore_index=True)
        row = ({"estimator": "sun_abraham", "coef": np.nan,
                "note": f"too few treated units ({n}, need {min_treated})"} if n < min_treated else
               _estimate_row("sun_abraham", lambda: sun_abraham_att(sub, outcome, unit, time, event_time, window,
                                                                    reference, unit, ci)))
        rows.append({group: level, "n_treated": n, **row})
    cols = [group, "n_treated", "estimator", "coef", "se", "ci_low", "ci_high", "pvalue", "n_obs", "n_clusters", "note"]
    return _with_pct(pd.DataFrame(rows, columns=cols))
