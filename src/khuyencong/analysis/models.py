"""Difference-in-differences and event-study estimators on establishment panels, and their summaries.

Estimation uses :mod:`khuyencong.analysis.fixed_effects` (exact two-way fixed effects, CR1
cluster-robust variance, t with G-1 degrees of freedom).

Staggered adoption: a single treated-post dummy with unit and year effects (``did_twfe``) is a
weighted average of all 2x2 comparisons, including "forbidden" ones that use already-treated units
as controls; with effects that vary over time or cohort it can be badly biased, even of the wrong
sign (Goodman-Bacon 2021, J. Econometrics; de Chaisemartin & D'Haultfœuille 2020, AER). Use
:func:`event_study` / :func:`sun_abraham_att` (Sun & Abraham 2021, J. Econometrics) — cohort x
event-time interactions against never-treated units, averaged with cohort shares — as the default
in the notebooks; ``did_twfe`` is kept for comparison and for designs with a single adoption date.

Every estimate says what was done to its sample: rows dropped for a missing or non-finite value
(``n_dropped`` and ``notes`` of the :class:`Estimate`, ``attrs`` of an event study), cohorts dropped
for lack of a reference period, leads pooled into the reference period. Cluster-robust inference is
refused (:class:`~khuyencong.errors.InputError`) when the treatment varies within fewer than two
clusters: the standard error is then rounding noise.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from khuyencong.analysis.fixed_effects import (Design, Estimate, check_ci, complete, design, few_clusters_warning,
                                               ols, panel_twfe, require, require_variation)
from khuyencong.errors import InputError


class StaggeredAdoptionWarning(UserWarning):
    """A TWFE DiD under staggered adoption without never-treated units (see :func:`did_twfe`)."""


def did_twfe(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
             time: str = "year", treat_post: str = "treated_post", cluster: str | None = None,
             controls: Sequence[str] = (), ci: float = 0.95, small_sample: str = "CR1") -> Estimate:
    """Two-way fixed-effects difference-in-differences coefficient on ``treat_post``, clustered by
    ``cluster`` (default: ``unit``).

    Biased under staggered adoption with heterogeneous effects (see the module docstring); prefer
    :func:`sun_abraham_att` there. When adoption is staggered and no unit is never treated (every
    comparison is then with earlier or later adopters), a :class:`StaggeredAdoptionWarning` is
    issued and its text added to ``warning`` and ``notes``. Refused (:class:`InputError`) when
    ``treat_post`` varies within fewer than two clusters or is absorbed by the fixed effects (e.g.
    every unit treated in the same year).
    """
    cluster = cluster or unit
    res = panel_twfe(panel, outcome, [treat_post, *controls], unit, time, cluster, ci, small_sample)
    require_variation(repr(treat_post), res.n_varying[treat_post], cluster)
    est = res.estimate(treat_post)
    staggered = _staggered_without_never_treated(panel, outcome, unit, time, treat_post, cluster, controls)
    notes, warning = est.notes, est.warning
    if staggered:
        warnings.warn(staggered, StaggeredAdoptionWarning, stacklevel=2)
        notes, warning = (*notes, staggered), "; ".join(filter(None, (warning, staggered)))
    return Estimate(**{**est.as_dict(), "method": "TWFE DiD: " + res.method, "notes": notes, "warning": warning})


def _staggered_without_never_treated(panel, outcome, unit, time, treat_post, cluster, controls) -> str:
    """The warning text when treated units adopt in several periods and none is never treated, else ''."""
    data = complete(panel, [outcome, treat_post, *controls], [unit, time, cluster])[0]
    first = data.loc[data[treat_post] != 0].groupby(unit)[time].min()
    if first.nunique() < 2 or data[unit].nunique() > len(first):
        return ""
    return (f"staggered adoption ({first.nunique()} adoption {time}s) with no never-treated {unit}: TWFE "
            "compares early with late adopters and can be badly biased, even of the wrong sign; report the "
            "Sun-Abraham ATT (sun_abraham_att) instead, with never-treated comparison units (or the last "
            "cohort, recoded as never treated, over the years before its adoption)")


# ---------------------------------------------------------------- event studies

OUTSIDE = ("bin", "drop")  # what event_study / sun_abraham_att do with event times outside ``window``


def _event_times(panel: pd.DataFrame, time: str, event_time: str, cohort: str | None) -> pd.Series:
    """Event time of each row: ``event_time``, or ``time - cohort`` when a cohort column (first treated
    year; 0 or empty = never treated) is given instead."""
    if cohort is None:
        require(panel, [event_time])
        return pd.to_numeric(panel[event_time])
    require(panel, [cohort, time])
    first = pd.to_numeric(panel[cohort])
    return (pd.to_numeric(panel[time]) - first).where(first.notna() & (first != 0))


def _outside_window(data: pd.DataFrame, window: tuple[int, int], outside: str,
                    reference: int) -> tuple[pd.DataFrame, dict]:
    """Bin (clip) treated rows' event times outside ``window`` into its end points, or drop those rows;
    the counts go to ``attrs`` / the method text. ``pooled_into_reference``: rows binned into an end
    point that is the reference period (``window=(-1, ...)`` with reference -1 pools every lead there)."""
    if outside not in OUTSIDE:
        raise ValueError(f"outside must be one of {OUTSIDE}, not {outside!r}")
    lo, hi = window
    below, above = data["_ev"] < lo, np.isfinite(data["_ev"]) & (data["_ev"] > hi)
    pooled = int(below.sum()) * (lo == reference) + int(above.sum()) * (hi == reference)
    counts = {"outside": outside, "below_window": int(below.sum()), "above_window": int(above.sum()),
              "pooled_into_reference": pooled if outside == "bin" else 0}
    if outside == "drop":
        data = data.loc[~(below | above)].reset_index(drop=True)
    return data, counts


def _event_frame(panel: pd.DataFrame, outcome: str, unit: str, time: str, event_time: str,
                 cluster: str, window: tuple[int, int], reference: int, cohort: str | None = None,
                 outside: str = "bin") -> tuple[pd.DataFrame, int, dict]:
    lo, hi = window
    if not lo <= reference <= hi or lo >= hi:
        raise ValueError(f"window {window} must satisfy lo < hi and contain the reference period {reference}")
    require(panel, [outcome, unit, time, cluster])
    events = _event_times(panel, time, event_time, cohort)
    data, dropped, note = complete(panel.assign(_ev=events.fillna(np.inf)), [outcome], [unit, time, cluster, "_ev"])
    data, binning = _outside_window(data, window, outside, reference)
    binning["dropped_note"] = note
    data[time] = pd.to_numeric(data[time])
    treated_rows = np.isfinite(data["_ev"].to_numpy(dtype=float))
    by_unit = pd.Series(treated_rows).groupby(data[unit].to_numpy()).agg(["any", "all"])
    mixed = by_unit["any"] & ~by_unit["all"]
    if mixed.any():
        raise InputError(f"{cohort or event_time!r} is missing on some but not all rows of {int(mixed.sum())} units "
                         f"(e.g. {list(mixed[mixed].index[:3])}); it must be empty for every row of a "
                         "never-treated unit and filled for every row of a treated one")
    data["_cohort"] = np.where(treated_rows, data[time] - data["_ev"], np.inf)
    if (data.groupby(unit)["_cohort"].nunique() > 1).any():
        raise InputError(f"{time} - {cohort or event_time} (the adoption year) must be constant within each unit")
    data["_e"] = np.where(treated_rows, data["_ev"].clip(lo, hi), np.nan)
    if not (~treated_rows).any():
        raise InputError("no never-treated units (event_time empty): this estimator uses them as "
                         "controls; add comparison units or restrict to a window where some are untreated")
    return data, dropped, binning


def _fit_cells(data: pd.DataFrame, cell: np.ndarray, n_cells: int, outcome: str, unit: str, time: str,
               cluster: str) -> tuple[np.ndarray, np.ndarray, Design]:
    """Regress on one dummy per cell code (code -1: reference rows and controls, no dummy)."""
    names = [f"_cell{i}" for i in range(n_cells)]
    dummies = np.zeros((len(cell), n_cells))
    hit = cell >= 0
    dummies[np.flatnonzero(hit), cell[hit]] = 1.0
    frame = pd.concat([data[list(dict.fromkeys([outcome, unit, time, cluster]))].reset_index(drop=True),
                       pd.DataFrame(dummies, columns=names)], axis=1)
    d = design(frame, outcome, names, unit, time, cluster)
    beta, vcov, _ = ols(d)
    return beta, vcov, d


def _sun_abraham(panel, outcome, unit, time, event_time, cluster, window, reference, cohort, outside):
    data, dropped, binning = _event_frame(panel, outcome, unit, time, event_time, cluster, window, reference,
                                          cohort, outside)
    treated = np.isfinite(data["_cohort"])
    has_ref = data.loc[treated & (data["_e"] == reference)].groupby("_cohort").size()
    cohorts = data.loc[treated, "_cohort"].unique()
    no_ref = sorted(set(cohorts) - set(has_ref.index))
    n_no_ref = int(data.loc[data["_cohort"].isin(no_ref), unit].nunique())
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
    post = has_cell & (data["_e"] >= 0).to_numpy()
    meta = {"dropped_rows": dropped, "cohorts_without_reference": [int(c) for c in no_ref],
            "cohort_units_dropped": n_no_ref, "n_obs": len(d.y), "n_clusters": d.n_clusters,
            "post_clusters": int(data.loc[post, cluster].nunique()),
            "clusters_by_event_time": _clusters_by_event(data, has_cell, cluster), **binning}
    return labels, beta, vcov, n, meta


def _clusters_by_event(data: pd.DataFrame, has_cell: np.ndarray, cluster: str) -> dict:
    """Event time -> clusters holding treated rows at it (its standard error is noise below 2)."""
    return {float(e): int(k) for e, k in data.loc[has_cell].groupby("_e")[cluster].nunique().items()}


def _sample_notes(meta: dict, reference: int) -> tuple[str, ...]:
    """What was done to the event-study sample, in words (for ``Estimate.notes``)."""
    notes = [meta["dropped_note"]]
    if meta["cohorts_without_reference"]:
        notes.append(f"cohorts never observed at the reference period dropped (no baseline to compare with): "
                     f"{meta['cohorts_without_reference']}, {meta['cohort_units_dropped']} treated unit(s)")
    if meta["pooled_into_reference"]:
        notes.append(f"{meta['pooled_into_reference']} treated rows outside the window binned into the reference "
                     f"period {reference}: the baseline pools them with it, and no pre-trend can be seen")
    return tuple(filter(None, notes))


def _combine(weights: np.ndarray, beta: np.ndarray, vcov: np.ndarray) -> tuple[float, float]:
    return float(weights @ beta), float(np.sqrt(weights @ vcov @ weights))


def event_study(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                time: str = "year", event_time: str = "event_time", window: tuple[int, int] = (-4, 4),
                reference: int = -1, cluster: str | None = None, method: str = "sun_abraham",
                ci: float = 0.95, cohort: str | None = None, outside: str = "bin") -> pd.DataFrame:
    """Event-study coefficients by event time (``time`` minus adoption year) with CIs.

    ``event_time`` is empty (NaN) for never-treated units, which serve as controls. Instead of it,
    ``cohort`` may name a column holding the first treated year (0 or empty = never treated).
    Event times outside ``window``: ``outside="bin"`` (default) puts them into its end points (the
    first and last rows pool every earlier / later event time; ``binned`` is True on an end row only
    when some row was binned into it); ``"drop"`` leaves those treated rows out. ``attrs`` gives
    ``outside``, ``below_window`` and ``above_window`` (treated rows concerned) and
    ``pooled_into_reference``: with a window starting (or ending) at the reference period, e.g.
    ``window=(-1, 4)``, every earlier lead is binned *into the reference period*, so the baseline
    becomes the average of all pre-periods (and no pre-trend can be seen). ``method="sun_abraham"``
    (default) fits cohort x event-time dummies with unit and time effects and averages them by each cohort's
    share of the treated observations at that event time (weights treated as fixed in the
    standard errors); cohorts never observed at ``reference`` are dropped (listed in
    ``attrs["cohorts_without_reference"]``). ``method="twfe"`` pools cohorts in one dummy per event
    time — biased with heterogeneous effects, kept for comparison. The reference row has coef 0.
    Standard errors are clustered by ``cluster`` (default: ``unit``); an event time whose treated rows
    lie in fewer than two clusters gets its coefficient but no standard error, interval or p-value
    (listed in ``attrs["one_cluster_event_times"]``). ``attrs["dropped_rows"]`` counts rows left out
    for a missing or non-finite value; ``attrs["notes"]`` says in words what was done to the sample.
    """
    check_ci(ci)
    cluster = cluster or unit
    if method == "sun_abraham":
        labels, beta, vcov, n, meta = _sun_abraham(panel, outcome, unit, time, event_time, cluster,
                                                    window, reference, cohort, outside)
        ev = np.array([lab[1] for lab in labels])
    elif method == "twfe":
        data, dropped, binning = _event_frame(panel, outcome, unit, time, event_time, cluster, window,
                                              reference, cohort, outside)
        has_cell = (data["_e"].notna() & (data["_e"] != reference)).to_numpy()
        labels = sorted(data.loc[has_cell, "_e"].unique())
        cell = np.full(len(data), -1, dtype=np.int64)
        cell[has_cell] = np.searchsorted(labels, data.loc[has_cell, "_e"].to_numpy())
        beta, vcov, d = _fit_cells(data, cell, len(labels), outcome, unit, time, cluster)
        ev = np.array(labels, dtype=float)
        n = data.loc[has_cell, "_e"].value_counts().reindex(labels).to_numpy(dtype=float)
        meta = {"dropped_rows": dropped, "cohorts_without_reference": [], "cohort_units_dropped": 0,
                "n_obs": len(d.y), "n_clusters": d.n_clusters,
                "clusters_by_event_time": _clusters_by_event(data, has_cell, cluster), **binning}
    else:
        raise ValueError(f"method must be 'sun_abraham' or 'twfe', not {method!r}")
    df = meta["n_clusters"] - 1
    q = stats.t.ppf(0.5 + ci / 2, df)
    rows, one_cluster = [], []
    for e in range(window[0], window[1] + 1):
        sel = ev == e
        if e == reference or not sel.any():
            rows.append({"event_time": e, "coef": 0.0 if e == reference else np.nan, "se": np.nan,
                         "n_treated_obs": 0})
            continue
        w = np.where(sel, n, 0.0) / n[sel].sum()
        coef, se = _combine(w, beta, vcov)
        if meta["clusters_by_event_time"].get(float(e), 0) < 2:
            one_cluster.append(e)
            se = np.nan
        rows.append({"event_time": e, "coef": coef, "se": se, "n_treated_obs": int(n[sel].sum())})
    out = pd.DataFrame(rows)
    out["ci_low"], out["ci_high"] = out["coef"] - q * out["se"], out["coef"] + q * out["se"]
    out["pvalue"] = 2 * stats.t.sf(np.abs(out["coef"] / out["se"]), df)
    lo, hi = window
    out["binned"] = (((out["event_time"] == lo) & (meta["below_window"] > 0))
                     | ((out["event_time"] == hi) & (meta["above_window"] > 0))) & (outside == "bin")
    out.attrs.update(meta, method=method, reference=reference, window=tuple(window), df=df,
                     warning=few_clusters_warning(meta["n_clusters"]), one_cluster_event_times=one_cluster,
                     notes=_sample_notes(meta, reference))
    return out


def sun_abraham_att(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                    time: str = "year", event_time: str = "event_time", window: tuple[int, int] = (-4, 4),
                    reference: int = -1, cluster: str | None = None, ci: float = 0.95,
                    cohort: str | None = None, outside: str = "bin") -> Estimate:
    """Average effect on the treated: post-period (event time >= 0) cohort x event-time effects of
    the Sun & Abraham regression, weighted by their numbers of treated observations.

    Event times above ``window[1]`` are binned into it with ``outside="bin"`` (default), so the
    average covers every post-treatment year observed; ``outside="drop"`` leaves those treated rows
    (and those before ``window[0]``) out, so it covers event times 0..``window[1]`` only. The method
    text states the choice and how many treated rows it concerned. ``cohort`` (first treated year,
    0 or empty = never treated) may replace ``event_time``; ``cluster`` defaults to ``unit``.
    ``n_dropped`` counts rows left out for a missing or non-finite value; ``notes`` says so, and names
    the cohorts dropped for lack of a reference period and the leads pooled into the reference period
    (see :func:`event_study`). Refused (:class:`InputError`) when the treated rows at event time >= 0
    lie in fewer than two clusters (the standard error would be rounding noise).
    """
    check_ci(ci)
    cluster = cluster or unit
    labels, beta, vcov, n, meta = _sun_abraham(panel, outcome, unit, time, event_time, cluster,
                                                window, reference, cohort, outside)
    post = np.array([lab[1] >= 0 for lab in labels])
    if not post.any():
        raise InputError("no treated observations at event time >= 0")
    require_variation("the treatment (rows at event time >= 0)", meta["post_clusters"], cluster)
    w = np.where(post, n, 0.0) / n[post].sum()
    coef, se = _combine(w, beta, vcov)
    g = meta["n_clusters"]
    df = g - 1
    q = stats.t.ppf(0.5 + ci / 2, df)
    warning = few_clusters_warning(g)
    return Estimate(coef, se, float(coef - q * se), float(coef + q * se), float(2 * stats.t.sf(abs(coef / se), df)),
                    meta["n_obs"], g, f"Sun-Abraham ATT (never-treated controls; {_binning_text(meta, window)}), "
                    f"CR1 by {cluster}, t({df})",
                    df, bool(warning), warning, meta["dropped_rows"], _sample_notes(meta, reference))


def _binning_text(meta: dict, window: tuple[int, int]) -> str:
    verb = "binned into" if meta["outside"] == "bin" else "dropped outside"
    return (f"event times {verb} {tuple(window)}: {meta['below_window']} treated rows below, "
            f"{meta['above_window']} above")

# ---------------------------------------------------------------- sample size, summaries, groups

MIN_TREATED_UNITS = 10     # fewer treated units than this: no DiD estimate is reported
MIN_COMPARISON_UNITS = 10  # likewise for never-treated comparison units


def log_to_pct(x):
    """Log points to a proportional change: exp(x) - 1 (0.2 → 0.221)."""
    return np.expm1(np.asarray(x, dtype=float)) if np.ndim(x) else float(np.expm1(x))


def unit_counts(panel: pd.DataFrame, outcome: str = "log_productivity", unit: str = "establishment_id",
                event_time: str = "event_time") -> tuple[int, int]:
    """(treated units, never-treated units) among rows with a finite ``outcome``."""
    require(panel, [outcome, unit, event_time])
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
    require(panel, [group, unit, event_time, outcome])
    treated = pd.to_numeric(panel[event_time]).notna()
    if (panel.loc[treated].groupby(unit)[group].nunique(dropna=False) > 1).any():
        raise InputError(f"{group!r} must be constant within each treated {unit}")
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
