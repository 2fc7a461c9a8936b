"""Two-way fixed-effects OLS with cluster-robust inference: the machinery every estimator shares.

All fixed effects are partialled out exactly (no iteration): outcome and regressors are demeaned
by unit, then the unit-demeaned time dummies are projected out (Frisch-Waugh-Lovell). This is
exact for unbalanced panels and fast because the number of periods is small.

What is refused (:class:`~khuyencong.errors.InputError`, naming the column and how to fix it): two
rows of one unit in one period; a regressor absorbed by the fixed effects, even when it is the only
regressor (its partialled-out norm below ``ABSORBED_TOL`` times its raw centred norm: what is left is
rounding noise, which would otherwise give a number with a standard error of 1e12). Which rows were
dropped for a missing or non-finite value, and in how many clusters each regressor varies (cluster-
robust inference on a regressor varying in fewer than two clusters is rounding noise), travel with
the results (``n_dropped``, ``notes``, ``n_varying``).

Cluster-robust variances use the CR1 correction of Stata (``xtreg, fe vce(cluster)`` and
``reghdfe``): ``G/(G-1) * (N-1)/(N-K)``, where K counts the regressors plus the absorbed
fixed effects that are *not* nested in the clusters (plus one for the intercept when some are
nested). t-tests and intervals use Student's t with G-1 degrees of freedom. Singleton units are
kept (they add nothing to the estimate but count in N; ``reghdfe`` drops them). With
``small_sample="none"`` the variance equals ``linearmodels.PanelOLS(...).fit(cov_type="clustered",
debiased=False, auto_df=False, count_effects=False)``; linearmodels' own ``debiased=True,
group_debias=True`` counts every unit effect in K for two-way models, giving larger SEs than Stata.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

from khuyencong.errors import InputError

FEW_CLUSTERS = 20
WEBB_BELOW = 12
ABSORBED_TOL = 1e-8  # partialled-out / raw centred norm below this: the regressor is absorbed by the FE
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
    n_dropped: int = 0  # rows left out for a missing or non-finite value (outcome, regressor, unit, time, cluster)
    notes: tuple[str, ...] = ()  # what else was done to the sample (dropped rows and cohorts, pooling)

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
    n_varying: dict = field(default_factory=dict)  # regressor -> clusters in which it takes 2+ values
    notes: tuple[str, ...] = ()

    def estimate(self, name: str) -> Estimate:
        if name not in self.table.index:
            raise KeyError(f"{name!r} is not a regressor; choose one of {list(self.table.index)}")
        r = self.table.loc[name]
        return Estimate(float(r["coef"]), float(r["se"]), float(r["ci_low"]), float(r["ci_high"]),
                        float(r["pvalue"]), self.n_obs, self.n_clusters, self.method, self.df,
                        self.few_clusters, self.warning, self.n_dropped, self.notes)

# ---------------------------------------------------------------- data preparation

def require(panel: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in panel.columns]
    if missing:
        raise KeyError(f"panel lacks column(s) {missing}; available: {list(panel.columns)}")


def complete(panel: pd.DataFrame, numeric: Sequence[str], keys: Sequence[str]) -> tuple[pd.DataFrame, int, str]:
    """Rows with every needed value present (and finite, for ``numeric``); numeric columns as float.

    Returns (frame, n_dropped, note), the note saying which columns lacked a value ('' if none did).
    """
    cols = list(dict.fromkeys([*numeric, *keys]))
    require(panel, cols)
    data = panel[cols].copy()
    for c in dict.fromkeys(numeric):
        try:
            data[c] = pd.to_numeric(data[c]).astype(float)
        except (TypeError, ValueError) as err:
            raise TypeError(f"column {c!r} must be numeric: {err}") from None
    bad = data.isna()
    bad[list(dict.fromkeys(numeric))] |= ~np.isfinite(data[list(dict.fromkeys(numeric))])
    ok = ~bad.any(axis=1)
    if not ok.any():
        raise InputError(f"no complete rows in columns {cols}")
    n_dropped = int((~ok).sum())
    lacking = {c: int(n) for c, n in bad.sum().items() if n}
    note = (f"{n_dropped} row(s) dropped for a missing or non-finite value: "
            + ", ".join(f"{n} in {c!r}" for c, n in lacking.items())) if n_dropped else ""
    return data.loc[ok].reset_index(drop=True), n_dropped, note


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), len(uniques)


def indicator(codes: np.ndarray, n: int) -> sparse.csr_matrix:
    """Sparse (levels x rows) membership matrix."""
    rows = np.arange(len(codes))
    return sparse.csr_matrix((np.ones(len(codes)), (codes, rows)), shape=(n, len(codes)))


def _demean(mat: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    ind = indicator(codes, n)
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


def varying_clusters(values: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """For each column of ``values`` (n x m), the number of clusters in which it takes two or more values."""
    vals = np.asarray(values, dtype=float).reshape(len(cluster), -1)
    if not len(vals):
        return np.zeros(vals.shape[1], dtype=np.int64)
    order = np.argsort(cluster, kind="stable")
    vals, codes = vals[order], np.asarray(cluster)[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    spread = np.maximum.reduceat(vals, starts, axis=0) - np.minimum.reduceat(vals, starts, axis=0)
    return (spread > 0).sum(axis=0).astype(np.int64)


def require_variation(name: str, n_varying: int, cluster: str) -> None:
    """:class:`InputError` when a regressor (``name``: how the message shows it) varies within fewer than
    two clusters: its cluster-robust standard error (and any wild cluster bootstrap) would be rounding
    noise, not uncertainty."""
    if n_varying < 2:
        raise InputError(f"{name} varies within only {n_varying} cluster(s) of {cluster!r}: cluster-robust "
                         "inference needs it to vary in at least 2 (with one treated cluster the standard error "
                         "is rounding noise and the p-value meaningless); add treated units in other clusters, "
                         "or cluster more finely")


def _duplicates(data: pd.DataFrame, unit: str, time: str) -> None:
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        first = data.loc[dup].iloc[0]
        raise InputError(f"{int(dup.sum())} rows repeat a ({unit}, {time}) pair, e.g. {unit} '{first[unit]}' in "
                         f"{time} {first[time]}: a panel has one row per {unit} and {time}; remove the duplicates "
                         "or aggregate them first")


def _nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every level of ``inner`` lies within a single level of ``outer``."""
    pairs = pd.DataFrame({"i": inner, "o": outer}).drop_duplicates()
    return not pairs["i"].duplicated().any()


@dataclass(frozen=True)
class Design:
    y: np.ndarray
    X: np.ndarray
    names: list[str]
    cluster: np.ndarray
    n_clusters: int
    fe_dof: int  # absorbed FE counted in K (CR1)
    n_dropped: int
    absorb: Callable[[np.ndarray], np.ndarray]  # residualises (n x m) columns on the fixed effects
    raw_norm: np.ndarray | None = None  # each regressor's centred norm before partialling out
    n_varying: np.ndarray | None = None  # clusters in which each regressor takes two or more values
    dropped_note: str = ""


def design(panel: pd.DataFrame, y: str, x: Sequence[str], unit: str, time: str | None,
            cluster: str) -> Design:
    keys = [unit, cluster] + ([time] if time else [])
    data, dropped, note = complete(panel, [y, *x], keys)
    if time:
        _duplicates(data, unit, time)
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
    raw = mat[:, 1:]
    return Design(resid[:, 0], resid[:, 1:], list(x), g, n_g, fe_rank - redundant, dropped,
                  lambda m: _partial_out(m, u, n_u, t, n_t)[0],
                  np.where(np.ptp(raw, axis=0) > 0, np.linalg.norm(raw - raw.mean(axis=0), axis=0), 0.0),
                  varying_clusters(raw, g), note)


# ---------------------------------------------------------------- OLS with cluster-robust variance

def ols(d: Design, small_sample: str = "CR1") -> tuple[np.ndarray, np.ndarray, int]:
    """Coefficients, cluster-robust covariance and K (columns counted in the correction)."""
    if small_sample not in _SSC:
        raise ValueError(f"small_sample must be one of {_SSC}, not {small_sample!r}")
    X, y = d.X, d.y
    n, k = X.shape
    if d.raw_norm is not None:
        absorbed = [nm for nm, left, raw in zip(d.names, np.linalg.norm(X, axis=0), d.raw_norm)
                    if raw == 0 or not left > ABSORBED_TOL * raw]
        if absorbed:
            raise InputError(f"regressor(s) {absorbed} are collinear with the fixed effects: after removing them "
                             "nothing is left but rounding noise (e.g. every unit treated in the same year, or a "
                             "value constant within each unit) — drop them, or add units that differ in them")
    xtx = X.T @ X
    rank = _rank(xtx)
    if rank < k:
        bad = [nm for j, nm in enumerate(d.names) if not np.any(np.abs(X[:, j]) > 1e-10)]
        raise InputError(f"regressors are collinear with the fixed effects or each other "
                         f"(rank {rank} < {k}); constant within the fixed effects: {bad or 'none'} — "
                         "drop or recode them")
    if d.n_clusters < 2:
        raise InputError("cluster-robust inference needs at least 2 clusters")
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (X.T @ y)
    scores = indicator(d.cluster, d.n_clusters) @ (X * (y - X @ beta)[:, None])
    vcov = xtx_inv @ (scores.T @ scores) @ xtx_inv
    K = k + d.fe_dof
    if small_sample == "CR1":
        if n - K <= 0:
            raise InputError(f"no residual degrees of freedom: N={n}, K={K}")
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


def check_ci(ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a coverage level between 0 and 1 (e.g. 0.95), not {ci}")


def panel_twfe(panel: pd.DataFrame, outcome: str, regressors: Sequence[str] | str, unit: str = "province_code",
               time: str | None = "year", cluster: str | None = None, ci: float = 0.95,
               small_sample: str = "CR1") -> PanelResult:
    """OLS of ``outcome`` on ``regressors`` with unit and time fixed effects, clustered by ``cluster``
    (default: ``unit``).

    Rows with any needed value missing or non-finite (e.g. the first years of a lagged regressor, a
    missing cluster id) are dropped, counted in ``n_dropped`` and described in ``notes``; ``n_varying``
    gives the clusters in which each regressor varies. Two rows of one ``unit`` in one ``time``, and a
    regressor absorbed by the fixed effects, are refused (:class:`InputError`). ``time=None`` gives
    unit effects only.
    """
    check_ci(ci)
    x = [regressors] if isinstance(regressors, str) else list(regressors)
    if not x:
        raise ValueError("regressors must name at least one column")
    cluster = cluster or unit
    d = design(panel, outcome, x, unit, time, cluster)
    beta, vcov, K = ols(d, small_sample)
    df = d.n_clusters - 1
    warning = few_clusters_warning(d.n_clusters)
    return PanelResult(_table(x, beta, vcov, df, ci), pd.DataFrame(vcov, index=x, columns=x), len(d.y),
                       d.n_clusters, d.n_dropped, df,
                       f"two-way FE ({unit}{', ' + time if time else ''}) OLS, {small_sample} "
                       f"cluster-robust SE by {cluster}, t({df})",
                       bool(warning), warning, dict(zip(x, d.n_varying.tolist())),
                       (d.dropped_note,) if d.dropped_note else ())
