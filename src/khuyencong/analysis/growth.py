"""Province-year panel linking khuyến công spending to industrial growth (notebook 30).

Units (fixed, so estimates and the SYNTHETIC truth compare directly):

* ``growth_pct``: industrial growth in percent = 100 × (industrial GRDP_t / industrial GRDP_t-1 − 1);
  where that is missing, the index of industrial production minus 100 (IIP, previous year = 100).
  ``growth_source`` says which ("grdp" or "iip").
* ``intensity_pct``: state support in year t as a percent of the *previous* year's industrial GRDP.
  The previous year's GRDP is predetermined, so the denominator is not moved by the growth being
  explained (a current-year denominator makes intensity fall mechanically when growth is high).
* ``support_per_capita_kvnd``: state support per inhabitant, thousand VND (population in thousands).

Coefficients on intensity are percentage points of growth per 1 percentage point of intensity.
On 2025 boundaries province statistics are rebased with :func:`khuyencong.core.rebase.rebase_to_2025`: support,
industrial GRDP and population are summed; the IIP of a merged province is the mean of its
components' IIPs weighted by their previous-year industrial GRDP (:data:`IIP_WEIGHT`, the base the
index is expressed on), so it agrees with the growth of the summed GRDP.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong.analysis import fixed_effects, inference, models
from khuyencong.analysis.metrics import SPENT_STATUSES, require
from khuyencong.core import i18n
from khuyencong.core import provinces, rebase
from khuyencong.errors import InputError

UNIT, TIME = "province_code", "year"
GROWTH = "growth_pct"
INTENSITY = "intensity_pct"
PER_CAPITA = "support_per_capita_kvnd"
IIP_WEIGHT = "industrial_grdp_prev"
OUTLIER_IIP_MAX = 200.0
STEP_K = 1.5
BASELINE_YEARS = 3
MIN_CLUSTERS = 3
TRUTH_KEY = "beta_pp_growth_per_0.1pct_intensity"
TRUTH_STEP_PCT = 0.1  # the truth is stated per 0.1 % of industrial GRDP


class TooFewObservations(InputError):
    """The selected sample cannot support the estimate (too few provinces, years or events)."""


# ---------------------------------------------------------------- building the panel

def _lag(df: pd.DataFrame, col: str, k: int, name: str) -> pd.DataFrame:
    """Value of ``col`` in calendar year t-k (not the previous row: gaps stay gaps)."""
    prev = df[[UNIT, TIME, col]].assign(**{TIME: df[TIME] + k}).rename(columns={col: name})
    return df.merge(prev, on=[UNIT, TIME], how="left")


def _stats_on(province_stats: pd.DataFrame, boundaries: str) -> pd.DataFrame:
    """Industrial GRDP, IIP and population per province-year on ``boundaries`` (legacy input)."""
    require(province_stats, [UNIT, TIME, "industrial_grdp", "iip"], "province_stats")
    cols = [UNIT, TIME, "industrial_grdp", "iip", "population"]
    stats = province_stats.reindex(columns=cols).astype({c: float for c in cols[2:]})
    if stats.duplicated([UNIT, TIME]).any():
        raise InputError("province_stats has more than one row for some province_code and year")
    if boundaries == provinces.LEGACY:
        return stats
    stats = _lag(stats, "industrial_grdp", 1, IIP_WEIGHT)
    out = rebase.rebase_to_2025(stats, sums=["industrial_grdp", "population"], weighted={"iip": IIP_WEIGHT})
    return out[cols]


def _support(register: pd.DataFrame, boundaries: str, statuses: Sequence[str] | None) -> pd.DataFrame:
    code = provinces.code_column(boundaries)
    require(register, [code, TIME, "state_support"] + (["status"] if statuses is not None else []), "register")
    spent = register if statuses is None else register.loc[register["status"].isin(list(statuses))]
    if spent["state_support"].isna().any():
        raise InputError(f"register: {int(spent['state_support'].isna().sum())} project(s) have no state_support; "
                         "fill them in the raw file or exclude those projects explicitly")
    grouped = spent.groupby([code, TIME], as_index=False)["state_support"].sum()
    return grouped.rename(columns={code: UNIT}).astype({UNIT: "string"})


def growth_panel(register: pd.DataFrame, province_stats: pd.DataFrame, boundaries: str = "2025",
                 statuses: Sequence[str] | None = SPENT_STATUSES, lags: Sequence[int] = (1, 2)) -> pd.DataFrame:
    """One row per province-year on ``boundaries``: support, growth, intensity (current and lagged).

    Province-years inside the register's year range with no project get support 0; outside it
    support stays missing. Lags use the calendar year before (``intensity_pct_lag1``...).
    """
    boundaries = provinces.boundaries_name(boundaries)
    stats = _stats_on(province_stats, boundaries).astype({UNIT: "string"})
    out = stats.merge(_support(register, boundaries, statuses), on=[UNIT, TIME], how="left", validate="one_to_one")
    covered = out[TIME].between(register[TIME].min(), register[TIME].max())
    out["state_support"] = out["state_support"].where(~covered | out["state_support"].notna(), 0.0)
    out = _lag(out, "industrial_grdp", 1, IIP_WEIGHT)
    prev = out[IIP_WEIGHT].where(out[IIP_WEIGHT] > 0)
    out["growth_grdp_pct"] = 100 * (out["industrial_grdp"] / prev - 1)
    out["growth_iip_pct"] = out["iip"] - 100
    from_grdp = out["growth_grdp_pct"].notna()
    out[GROWTH] = out["growth_grdp_pct"].where(from_grdp, out["growth_iip_pct"])
    source = np.where(from_grdp, "grdp", np.where(out["growth_iip_pct"].notna(), "iip", None))
    out["growth_source"] = pd.Series(source, index=out.index, dtype="string")
    out[INTENSITY] = 100 * out["state_support"] / prev
    out[PER_CAPITA] = out["state_support"] / out["population"].where(out["population"] > 0)
    for k in lags:
        out = _lag(out, INTENSITY, k, f"{INTENSITY}_lag{k}")
        out = _lag(out, PER_CAPITA, k, f"{PER_CAPITA}_lag{k}")
    records = {p.code: p for p in provinces.records(boundaries)}
    out["province_name"] = out[UNIT].map(lambda c: records[c].name).astype("string")
    out["region_code"] = out[UNIT].map(lambda c: records[c].region_code).astype("string")
    out["boundaries"] = pd.Series(boundaries, index=out.index, dtype="string")
    return out.sort_values([UNIT, TIME]).reset_index(drop=True)


def outlier_mask(panel: pd.DataFrame, iip_max: float = OUTLIER_IIP_MAX) -> pd.Series:
    """Province-years with IIP above ``iip_max`` or GRDP growth above the same level (``iip_max`` − 100 %)."""
    with np.errstate(invalid="ignore"):
        return (panel["iip"] > iip_max) | (panel["growth_grdp_pct"] > iip_max - 100)


def in_scope(panel: pd.DataFrame, region_code: str | None, start_year: int, end_year: int) -> pd.DataFrame:
    """Rows in ``region_code`` (None = every province) and the years; lags were built on all years."""
    keep = panel[TIME].between(start_year, end_year)
    if region_code is not None:
        keep &= panel["region_code"] == region_code
    return panel.loc[keep].reset_index(drop=True)


def scope_region(province: provinces.Province | None, panel_scope: str) -> str | None:
    """Region whose provinces form the estimation panel: None for ``"all"``, the province's for ``"region"``."""
    if panel_scope == "all":
        return None
    if panel_scope != "region":
        raise InputError(f"panel_scope must be 'all' or 'region', not {panel_scope!r}")
    if province is None:
        raise InputError("panel_scope='region' needs one province (its region is the panel); "
                         "pass province=... or panel_scope='all'")
    return province.region_code


# ---------------------------------------------------------------- the SYNTHETIC truth

def truth_coefficients(truth: Mapping) -> dict[str, float]:
    """True coefficients of the demo generator in this module's units.

    The sidecar states ``beta`` in pp of growth per 0.1 % of (previous-year) industrial GRDP;
    per 1 % that is beta / 0.1. The generator has no lagged term, so lagged coefficients are 0.
    """
    try:
        beta = float(truth["truth"]["province_stats"][TRUTH_KEY])
    except (KeyError, TypeError):
        raise KeyError(f"truth sidecar lacks truth.province_stats.{TRUTH_KEY!r}; "
                       "regenerate the demo set (`khuyencong demo`)") from None
    per_pct = beta / TRUTH_STEP_PCT
    return {INTENSITY: per_pct, f"{INTENSITY}_lag1": 0.0, f"{INTENSITY}_lag2": 0.0}


# ---------------------------------------------------------------- estimation

def bootstrap_weights(n_clusters: int) -> str:
    """Webb six-point weights below ``fixed_effects.WEBB_BELOW`` clusters (Rademacher then has only 2^G
    distinct draws, so p-values are coarse), Rademacher otherwise (MacKinnon & Webb 2017)."""
    return "webb" if n_clusters < fixed_effects.WEBB_BELOW else "rademacher"


def _complete_rows(panel: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    require(panel, [*cols, UNIT, TIME], "panel")
    values = panel[list(cols)].apply(pd.to_numeric).astype(float)
    return panel.loc[np.isfinite(values).all(axis=1)]


def _enough(data: pd.DataFrame, n_regressors: int) -> bool:
    n_units, n_years = data[UNIT].nunique(), data[TIME].nunique()
    return n_units >= MIN_CLUSTERS and n_years >= 2 and len(data) > n_units + n_years - 1 + n_regressors


def fit(panel: pd.DataFrame, y: str, x: Sequence[str], param: str, n_boot: int = 999,
        seed: int = 0, ci: float = 0.95) -> dict:
    """TWFE (province, year) estimate of ``param`` with province-clustered CR1 SE and a wild cluster
    restricted bootstrap p-value. Too small a sample gives NaNs and ``note="too_few"``."""
    x = list(x)
    data = _complete_rows(panel, [y, *x])
    row = {"param": param, "n_obs": len(data), "n_clusters": int(data[UNIT].nunique())}
    if not _enough(data, len(x)):
        return {**row, "coef": np.nan, "se": np.nan, "p_cluster": np.nan, "p_wild": np.nan,
                "ci_low": np.nan, "ci_high": np.nan, "wild_ci_low": np.nan, "wild_ci_high": np.nan,
                "weights": "", "few_clusters": True, "note": "too_few"}
    est = fixed_effects.panel_twfe(data, y, x, unit=UNIT, time=TIME, cluster=UNIT, ci=ci).estimate(param)
    weights = bootstrap_weights(est.n_clusters)
    wild = inference.wild_cluster_bootstrap(data, y, x, param, unit=UNIT, time=TIME, cluster=UNIT, n_boot=n_boot,
                                            seed=seed, weights=weights, ci=ci)
    return {**row, "coef": est.coef, "se": est.se, "p_cluster": est.pvalue, "p_wild": wild.pvalue,
            "ci_low": est.ci_low, "ci_high": est.ci_high, "wild_ci_low": wild.ci_low,
            "wild_ci_high": wild.ci_high, "weights": weights, "few_clusters": est.few_clusters, "note": ""}


MAIN_X = (INTENSITY, f"{INTENSITY}_lag1")


def headline(panel: pd.DataFrame, n_boot: int = 999, seed: int = 0, truth: Mapping | None = None) -> pd.DataFrame:
    """Growth on current and one-year-lagged intensity: one row per coefficient, with the true
    value beside it when ``truth`` (the SYNTHETIC sidecar) is given."""
    rows = [fit(panel, GROWTH, MAIN_X, param, n_boot, seed) for param in MAIN_X]
    out = pd.DataFrame(rows)
    if truth is not None:
        out["true_value"] = out["param"].map(truth_coefficients(truth))
    return out


@dataclass(frozen=True)
class Spec:
    """One robustness row: which panel variant, outcome, regressors and reported coefficient."""

    key: str
    variant: str
    y: str = GROWTH
    x: tuple[str, ...] = MAIN_X
    param: str = INTENSITY


SPECS = (
    Spec("main", "main"),
    Spec("other_boundaries", "other_boundaries"),
    Spec("no_outliers", "no_outliers"),
    Spec("current_only", "main", x=(INTENSITY,)),
    Spec("two_lags", "main", x=(*MAIN_X, f"{INTENSITY}_lag2")),
    Spec("lag1_only", "main", x=(f"{INTENSITY}_lag1",), param=f"{INTENSITY}_lag1"),
    Spec("grdp_only", "main", y="growth_grdp_pct"),
    Spec("iip_outcome", "main", y="growth_iip_pct"),
    Spec("all_statuses", "all_statuses"),
    Spec("per_capita", "main", x=(PER_CAPITA, f"{PER_CAPITA}_lag1"), param=PER_CAPITA),
)


def variants(register: pd.DataFrame, province_stats: pd.DataFrame, boundaries: str, region_code: str | None,
             start_year: int, end_year: int, iip_max: float = OUTLIER_IIP_MAX) -> dict[str, pd.DataFrame]:
    """The panels the robustness specifications use, each restricted to the scope and years.

    ``other_boundaries``: the other set of boundaries; ``no_outliers``: :func:`outlier_mask` rows
    dropped; ``all_statuses``: stopped and deferred projects counted as spending too.
    """
    boundaries = provinces.boundaries_name(boundaries)
    other = provinces.LEGACY if boundaries == provinces.NEW else provinces.NEW
    build = {"main": (boundaries, SPENT_STATUSES), "other_boundaries": (other, SPENT_STATUSES),
             "all_statuses": (boundaries, None)}
    out = {name: in_scope(growth_panel(register, province_stats, b, s), region_code, start_year, end_year)
           for name, (b, s) in build.items()}
    out["no_outliers"] = out["main"].loc[~outlier_mask(out["main"], iip_max)].reset_index(drop=True)
    return out


def robustness(panels: Mapping[str, pd.DataFrame], specs: Sequence[Spec] = SPECS, n_boot: int = 999,
               seed: int = 0, truth: Mapping | None = None) -> pd.DataFrame:
    """One row per specification (``spec`` = its key), as :func:`fit`, plus ``boundaries`` of its panel."""
    rows = []
    for spec in specs:
        data = panels[spec.variant]
        row = fit(data, spec.y, spec.x, spec.param, n_boot, seed)
        bounds = data["boundaries"].iat[0] if len(data) else ""
        rows.append({"spec": spec.key, "boundaries": bounds, "outcome": spec.y, **row})
    out = pd.DataFrame(rows)
    if truth is not None:
        out["true_value"] = out["param"].map(truth_coefficients(truth))  # per-capita has no stated truth
    return out


def partial_residuals(panel: pd.DataFrame, y: str, x: Sequence[str], param: str) -> pd.DataFrame:
    """``y`` and ``param`` net of province and year effects and the other regressors (Frisch-Waugh):
    the OLS slope of ``y_resid`` on ``x_resid`` equals the TWFE coefficient of ``param``."""
    data = _complete_rows(panel, [y, *x]).reset_index(drop=True)
    if not _enough(data, len(x)):
        raise TooFewObservations(f"{len(data)} complete rows in {data[UNIT].nunique()} provinces")
    others = [c for c in x if c != param]
    dummies = pd.get_dummies(data[[UNIT, TIME]].astype(str), drop_first=True, dtype=float)
    Z = np.column_stack([np.ones(len(data)), dummies.to_numpy(), data[others].to_numpy(dtype=float)])

    def resid(col: str) -> np.ndarray:
        v = data[col].to_numpy(dtype=float)
        return v - Z @ np.linalg.lstsq(Z, v, rcond=None)[0]

    return data[[UNIT, TIME, "province_name"]].assign(y_resid=resid(y), x_resid=resid(param))


# ---------------------------------------------------------------- event study around step-ups

def step_ups(panel: pd.DataFrame, k: float = STEP_K, baseline_years: int = BASELINE_YEARS,
             column: str = INTENSITY) -> pd.DataFrame:
    """Each province's first large step-up in spending.

    Rule: year t is a step-up when ``column`` in t exceeds ``k`` × its median over the
    ``baseline_years`` calendar years just before t (all of them observed); the first such year
    is the province's ``step_up_year``. A moving baseline is used because intensity drifts down
    as GRDP grows, so a fixed early baseline would miss later step-ups. ``status``: ``stepped``,
    ``never`` (a control in the event study) or ``too_short`` (no year with a full baseline; left
    out). ``baseline_median`` and ``threshold`` are those of the step-up year.
    """
    if k <= 1 or baseline_years < 1:
        raise ValueError(f"need k > 1 and baseline_years >= 1, got k={k}, baseline_years={baseline_years}")
    observed = _complete_rows(panel, [column])[[UNIT, TIME, column]]
    data = observed
    for j in range(1, baseline_years + 1):
        data = _lag(data, column, j, f"_b{j}")
    base = data[[f"_b{j}" for j in range(1, baseline_years + 1)]]
    data = data.assign(_median=base.median(axis=1, skipna=False), _full=base.notna().all(axis=1))
    data["_hit"] = data["_full"] & (data[column] > k * data["_median"])
    rows = []
    for code, g in data.sort_values(TIME).groupby(UNIT, sort=True):
        hits = g.loc[g["_hit"]]
        row = {UNIT: code, "baseline_median": np.nan, "threshold": np.nan, "step_up_year": pd.NA,
               "status": "never" if g["_full"].any() else "too_short"}
        if len(hits):
            first = hits.iloc[0]
            row.update(baseline_median=float(first["_median"]), threshold=k * float(first["_median"]),
                       step_up_year=int(first[TIME]), status="stepped")
        rows.append(row)
    out = pd.DataFrame(rows, columns=[UNIT, "baseline_median", "threshold", "step_up_year", "status"])
    return out.astype({"step_up_year": "Int64", "status": "string"})


def event_panel(panel: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Panel rows of stepped and never-stepped provinces with ``event_time`` (NaN for controls)."""
    keep = steps.loc[steps["status"].isin(["stepped", "never"]), [UNIT, "step_up_year"]]
    out = panel.merge(keep, on=UNIT, how="inner")
    out["event_time"] = (out[TIME] - out["step_up_year"]).astype("Float64").astype(float)
    return out


def event_study(panel: pd.DataFrame, steps: pd.DataFrame, window: tuple[int, int] = (-3, 3),
                reference: int = -1) -> pd.DataFrame:
    """Sun-Abraham event study of ``growth_pct`` around step-ups, never-stepped provinces as controls.
    Raises :class:`TooFewObservations` without stepped provinces observed at ``reference`` or controls."""
    data = event_panel(panel, steps)
    data = data.loc[data[GROWTH].notna()]
    at_ref = data.loc[data["event_time"] == reference, UNIT].nunique()
    controls = data.loc[data["event_time"].isna(), UNIT].nunique()
    if at_ref < 1 or controls < 1 or data[UNIT].nunique() < MIN_CLUSTERS:
        raise TooFewObservations(f"{at_ref} stepped province(s) observed at t={reference}, "
                                 f"{controls} never-stepped control(s)")
    return models.event_study(data, outcome=GROWTH, unit=UNIT, time=TIME, event_time="event_time",
                              window=window, reference=reference, cluster=UNIT)


# ---------------------------------------------------------------- figures' data and tables

def province_vs_country(panel: pd.DataFrame, code: str | None, lang: str = "vi") -> pd.DataFrame:
    """Yearly intensity and growth of the whole country (ratios of sums over provinces with both
    years of GRDP) and, when ``code`` is given, of that province; column ``series`` names each."""
    ok = panel["industrial_grdp"].notna() & (panel[IIP_WEIGHT] > 0) & panel["state_support"].notna()
    sums = panel.loc[ok].groupby(TIME)[["state_support", "industrial_grdp", IIP_WEIGHT]].sum()
    country = pd.DataFrame({TIME: sums.index, "series": i18n.t("country", lang),
                            INTENSITY: 100 * sums["state_support"] / sums[IIP_WEIGHT],
                            GROWTH: 100 * (sums["industrial_grdp"] / sums[IIP_WEIGHT] - 1)}).reset_index(drop=True)
    if code is None:
        return country
    own = panel.loc[(panel[UNIT] == code) & panel[INTENSITY].notna() & panel[GROWTH].notna()]
    own = own.assign(series=own["province_name"])[[TIME, "series", INTENSITY, GROWTH]]
    return pd.concat([own, country], ignore_index=True).astype({TIME: "int64", "series": "string"})


_NUMBER_COLS = {"coef": 3, "se": 3, "ci_low": 3, "ci_high": 3, "wild_ci_low": 3, "wild_ci_high": 3,
                "p_cluster": 3, "p_wild": 3, "pvalue": 3, "true_value": 3,
                "baseline_median": 4, "threshold": 4}
_CODED_COLS = ("param", "spec", "outcome", "weights", "boundaries", "status")
HEADLINE_COLUMNS = ("param", "coef", "true_value", "se", "p_cluster", "p_wild", "ci_low", "ci_high",
                    "wild_ci_low", "wild_ci_high", "n_obs", "n_clusters", "weights", "few_clusters", "note")
ROBUSTNESS_COLUMNS = ("spec", "boundaries", "outcome", "param", "coef", "true_value", "se", "p_cluster",
                      "p_wild", "n_obs", "n_clusters", "weights", "few_clusters", "note")
EVENT_COLUMNS = ("event_time", "coef", "se", "ci_low", "ci_high", "pvalue", "n_treated_obs")
STEP_COLUMNS = ("province", "status", "step_up_year", "baseline_median", "threshold")


def _cell(col: str, v, lang: str) -> str:
    if col in _NUMBER_COLS:
        return "—" if pd.isna(v) else i18n.fmt_number(round(float(v), 3) + 0.0, lang, _NUMBER_COLS[col])
    if col in _CODED_COLS:
        return i18n.t(f"gl_{col}_{v}", lang) if isinstance(v, str) and v else "—"
    if col == "few_clusters":
        return i18n.t("gl_yes" if v else "gl_no", lang)
    if col == "note":
        return i18n.t("gl_too_few_short", lang) if v == "too_few" else ""
    return "—" if pd.isna(v) else str(v)


def display_table(table: pd.DataFrame, lang: str = "vi", columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``columns`` (present ones, in order; default all) as text with localised numbers, codes and
    headers (label keys ``gl_col_<column>``, ``gl_<column>_<code>``), so stored outputs are stable."""
    cols = [c for c in (columns or table.columns) if c in table.columns]
    shown = {i18n.t(f"gl_col_{col}", lang): [_cell(col, v, lang) for v in table[col]] for col in cols}
    return pd.DataFrame(shown, index=pd.RangeIndex(len(table)), dtype="string")


def steps_table(steps: pd.DataFrame, panel: pd.DataFrame, highlight: str | None = None) -> pd.DataFrame:
    """Stepped provinces (and ``highlight``, whatever its status) with names, by step-up year."""
    names = panel.drop_duplicates(UNIT).set_index(UNIT)["province_name"]
    keep = (steps["status"] == "stepped") | (steps[UNIT] == highlight)
    out = steps.loc[keep].assign(province=steps.loc[keep, UNIT].map(names))
    return out.sort_values(["step_up_year", UNIT], na_position="last").reset_index(drop=True)


def spec_plot_frame(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Robustness rows on year-t intensity with an estimate, labelled for a coefficient plot."""
    keep = (table["param"] == INTENSITY) & table["coef"].notna()
    out = table.loc[keep].reset_index(drop=True)
    out["label"] = [i18n.t(f"gl_spec_{k}", lang) for k in out["spec"]]
    return out


MIN_STEPPED = 5


def few_events(steps: pd.DataFrame, minimum: int = MIN_STEPPED) -> bool:
    """True when fewer than ``minimum`` provinces stepped up: the event study's clustered intervals
    then rest on a handful of treated clusters and are not reliable."""
    return int((steps["status"] == "stepped").sum()) < minimum
