"""Effectiveness measures on the processed tables (pure pandas/numpy; money in million VND).

Ratios across projects or provinces are always ratios of sums (Σ numerator / Σ denominator), never
means of per-project ratios, so large projects weigh by their size. Projects stopped or deferred
are excluded by default (``statuses``): their amounts were not spent as registered.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from khuyencong.core.datasets import categories
from khuyencong.errors import InputError

log = logging.getLogger(__name__)

SPENT_STATUSES = ("completed", "adjusted")
OUTPUT_COLUMNS = ("trainees", "establishments_supported", "demonstration_models", "typical_products", "machines")
TOO_FEW_FOR_INTERVAL = "not enough projects for an interval"


# ---------------------------------------------------------------- helpers

class MissingColumnsError(InputError, KeyError):
    """A table lacks columns a measure needs (still a ``KeyError`` for existing callers)."""

    __str__ = InputError.__str__  # KeyError's would quote the message


def require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    """Raise a :class:`MissingColumnsError` naming the columns of ``cols`` that ``df`` (called ``what``) lacks."""
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise MissingColumnsError(f"{what} lacks column(s) {missing}; available: {list(df.columns)}")


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def spent(register: pd.DataFrame, statuses: Sequence[str] | None) -> pd.DataFrame:
    """Projects whose status is in ``statuses`` (``None`` keeps all)."""
    if statuses is None:
        return register
    require(register, ["status"], "register")
    return register.loc[register["status"].isin(list(statuses))]


def _examples(df: pd.DataFrame, bad: pd.Series) -> list:
    return df.loc[bad, "project_id"].head(5).tolist() if "project_id" in df else []


def amounts(df: pd.DataFrame, cols: Sequence[str], what: str) -> pd.DataFrame:
    """``df`` with ``cols`` as floats; an :class:`InputError` for text, true/false or negative amounts."""
    out = df.copy()
    for c in cols:
        values = out[c]
        checked = pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values)
        if checked and (odd := values.map(lambda v: isinstance(v, (str, bool, np.bool_)))).any():
            raise InputError(f"{what}: {int(odd.sum())} row(s) have a {c!r} that is not a number "
                             f"(e.g. {values[odd].head(3).tolist()!r} in projects {_examples(df, odd)}); "
                             "amounts must be numbers in million VND")
        out[c] = pd.to_numeric(values).astype(float)
        if (negative := out[c] < 0).any():
            raise InputError(f"{what}: {int(negative.sum())} row(s) have a negative {c!r} (e.g. projects "
                             f"{_examples(df, negative)}); correct the raw data")
    return out


def ratio(num, den):
    """Elementwise ``num / den``; NaN where ``den`` is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / den, np.nan)


def _groupby(df: pd.DataFrame, by: list[str]):
    """Group by ``by``; an empty ``by`` gives one group labelled 'all'."""
    if by:
        return df.groupby(by, sort=True, dropna=False, observed=True)
    return df.assign(_all="all").groupby("_all")


def _reset(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return table.reset_index() if by else table.reset_index(drop=True)


# ---------------------------------------------------------------- co-funding

def _excluded_groups(register: pd.DataFrame, kept: pd.DataFrame, by: list[str], statuses) -> list[dict]:
    """Groups of ``register`` without a project with a status in ``statuses``, as records (a frame
    in ``attrs`` would break pandas' attrs comparisons in ``concat``)."""
    if statuses is None or not by:
        return []
    every = register.groupby(by, sort=True, dropna=False, observed=True).size().rename("projects_excluded")
    every = every.loc[~every.index.isin(kept.set_index(by).index)].reset_index()
    return every.assign(reason=f"every project has a status outside {list(statuses)}").to_dict("records")


def cofunding(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
              statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Per group: projects, Σ state support, Σ beneficiary contribution (million VND),
    ``cofunding_ratio`` = Σ contribution / Σ state support (beneficiary VND per VND of state support)
    and ``state_share`` = Σ state / Σ (state + contribution). ``statuses=None`` keeps every project.

    Amounts must be non-negative numbers (:class:`InputError` otherwise); a project missing one is left out
    (``attrs["left_out_missing"]`` counts them). Groups whose projects all have a status outside ``statuses``
    have no row: ``attrs["excluded"]`` lists them (records of the ``by`` columns, ``projects_excluded``, ``reason``)."""
    by = _as_list(by)
    money = ["state_support", "beneficiary_contribution"]
    require(register, [*by, *money], "register")
    data, left_out = complete_amounts(spent(register, statuses), money, "cofunding")
    table = _groupby(data, by)[money].agg(["count", "sum"])
    out = pd.DataFrame({"projects": table[("state_support", "count")],
                        "state_support": table[("state_support", "sum")],
                        "beneficiary_contribution": table[("beneficiary_contribution", "sum")]})
    out["cofunding_ratio"] = ratio(out["beneficiary_contribution"], out["state_support"])
    out["state_share"] = ratio(out["state_support"], out["state_support"] + out["beneficiary_contribution"])
    out = _reset(out, by)
    out.attrs.update(excluded=_excluded_groups(register, out, by, statuses), left_out_missing=left_out)
    return out


def complete_amounts(data: pd.DataFrame, money: list[str], what: str) -> tuple[pd.DataFrame, int]:
    """``data`` as amounts without the projects missing one of ``money`` (a blank is not 0), and their count."""
    data = amounts(data, money, what)
    if (missing := data[money].isna().any(axis=1)).any():
        log.warning("%s: %d project(s) with a missing amount left out (e.g. %s)", what, missing.sum(),
                    _examples(data, missing))
    return data.loc[~missing], int(missing.sum())


@dataclass(frozen=True)
class CofundingDraws:
    """Co-funding bootstrap draws, a row per group (order of ``point``); Σ state 0 gives ratio +inf or NaN (0/0)."""

    point: pd.DataFrame        # cofunding() of the original data
    by: list[str]
    ratio: np.ndarray          # groups x n_boot
    state_share: np.ndarray    # groups x n_boot
    zero_state_draws: np.ndarray    # per group
    undefined_draws: np.ndarray     # per group


def cofunding_draws(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
                    n_boot: int = 999, seed: int = 0,
                    statuses: Sequence[str] | None = SPENT_STATUSES) -> CofundingDraws:
    """Resample projects with replacement within each group, ``n_boot`` times (numpy Generator)."""
    if n_boot < 1:
        raise InputError("n_boot must be a positive number of bootstrap draws")
    by = _as_list(by)
    point = cofunding(register, by, statuses)
    data, _ = complete_amounts(spent(register, statuses), ["state_support", "beneficiary_contribution"],
                                 "cofunding")
    if data.empty:  # nothing spent yet (a plan) or no complete amounts: no group to resample, no row
        return CofundingDraws(point, by, np.empty((0, n_boot)), np.empty((0, n_boot)), np.zeros(0, int), np.zeros(0, int))
    rng = np.random.default_rng(seed)
    state, contrib = [], []
    for _, grp in _groupby(data, by):
        s = grp["state_support"].to_numpy(dtype=float)
        c = grp["beneficiary_contribution"].to_numpy(dtype=float)
        idx = rng.integers(0, len(s), size=(n_boot, len(s)))
        state.append(s[idx].sum(axis=1))
        contrib.append(c[idx].sum(axis=1))
    state, contrib = np.vstack(state), np.vstack(contrib)
    zero = (state == 0).sum(axis=1)
    undefined = ((state == 0) & (contrib == 0)).sum(axis=1)
    if zero.any():
        log.warning("co-funding bootstrap: %d of %d draws in %d group(s) have no state support (ratio infinite; "
                    "%d 0/0 left out)", zero.sum(), state.size, (zero > 0).sum(), undefined.sum())
    ratios = np.where((state == 0) & (contrib > 0), np.inf, ratio(contrib, state))
    return CofundingDraws(point, by, ratios, ratio(state, state + contrib), zero, undefined)


def _interval(draws: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each row's draws (NaN left out; infinite draws: order statistics, not interpolated)."""
    if not 0 < ci < 1:
        raise InputError(f"ci must be between 0 and 1 (e.g. 0.95), not {ci}")
    if not len(draws):
        return np.empty(0), np.empty(0)
    levels = [(1 - ci) / 2, (1 + ci) / 2]
    with np.errstate(invalid="ignore"):
        low, high = np.nanquantile(draws, levels, axis=1)
        if (infinite := np.isinf(draws).any(axis=1)).any():
            low[infinite], high[infinite] = np.nanquantile(draws[infinite], levels, axis=1, method="inverted_cdf")
    return low, high


def bootstrap_cofunding(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
                        n_boot: int = 999, seed: int = 0, ci: float = 0.95,
                        statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """:func:`cofunding` plus percentile intervals of ``cofunding_ratio`` and ``state_share``
    from resampling projects within each group.

    A single-project group has no interval (every draw is the same): NaN bounds and ``interval_note``
    = :data:`TOO_FEW_FOR_INTERVAL`. ``zero_state_draws`` counts draws with Σ state support 0 (see
    :class:`CofundingDraws`): they widen the ratio interval instead of being dropped."""
    draws = cofunding_draws(register, by, n_boot, seed, statuses)
    out = draws.point.copy()
    out["ratio_low"], out["ratio_high"] = _interval(draws.ratio, ci)
    out["share_low"], out["share_high"] = _interval(draws.state_share, ci)
    too_few = (out["projects"] < 2).to_numpy()
    out.loc[too_few, ["ratio_low", "ratio_high", "share_low", "share_high"]] = np.nan
    out["interval_note"] = np.where(too_few, TOO_FEW_FOR_INTERVAL, "")
    out["zero_state_draws"] = draws.zero_state_draws
    return out


def rank_with_intervals(draws: CofundingDraws, ci: float = 0.95, measure: str = "cofunding_ratio",
                        descending: bool = True) -> pd.DataFrame:
    """Rank groups by ``measure`` (1 = highest when ``descending``) with percentile intervals of the
    rank across bootstrap draws. Wide rank intervals mean the ordering is not well determined."""
    values = {"cofunding_ratio": draws.ratio, "state_share": draws.state_share}
    if measure not in values:
        raise ValueError(f"measure must be one of {list(values)}, not {measure!r}")
    ranks = pd.DataFrame(values[measure]).rank(axis=0, ascending=not descending, method="min").to_numpy()
    out = draws.point[[*draws.by, "projects", measure]].copy()
    out["rank"] = out[measure].rank(ascending=not descending, method="min")
    out["rank_low"], out["rank_high"] = _interval(ranks, ci)
    return out.sort_values(["rank", *draws.by]).reset_index(drop=True)

# ---------------------------------------------------------------- productivity

def productivity(survey: pd.DataFrame) -> pd.DataFrame:
    """Add ``output_per_worker`` (million VND per worker) and ``log_productivity``.

    Rows with zero workers or non-positive output get NaN (undefined); negative values raise.
    """
    require(survey, ["output_value", "workers"], "survey")
    out = survey.copy()
    output = pd.to_numeric(out["output_value"]).astype(float)
    workers = pd.to_numeric(out["workers"]).astype(float)
    for name, col in (("output_value", output), ("workers", workers)):
        if (col < 0).any():
            raise InputError(f"survey has negative {name} in {int((col < 0).sum())} row(s); correct the raw data")
    out["output_per_worker"] = ratio(output, workers)
    opw = out["output_per_worker"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_productivity"] = np.where(opw > 0, np.log(np.where(opw > 0, opw, 1.0)), np.nan)
    return out


def supported_gains(survey: pd.DataFrame, register: pd.DataFrame, post_years: Sequence[int] = (1, 2),
                    statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Change in output per worker of each supported establishment around its first support.

    Support year = earliest register year of the establishment's projects. ``base`` = output per
    worker in the last surveyed year before it; ``post`` = mean over the support year + ``post_years``
    that were surveyed. ``gain = post / base - 1`` (NaN when either side is missing). A before/after
    change, not a causal effect: it includes the trend that unsupported establishments also had.
    """
    require(survey, ["establishment_id", "year", "output_value", "workers"], "survey")
    require(register, ["establishment_id", "year"], "register")
    first = (spent(register, statuses).groupby("establishment_id")["year"].min()
             .rename("support_year").reset_index())
    panel = productivity(survey).merge(first, on="establishment_id", how="inner")
    rel = panel["year"] - panel["support_year"]
    pre = panel.loc[(rel < 0) & panel["output_per_worker"].notna()].sort_values("year")
    base = pre.groupby("establishment_id").tail(1).set_index("establishment_id")
    post = panel.loc[rel.isin(list(post_years))].groupby("establishment_id")["output_per_worker"]
    out = first.loc[first["establishment_id"].isin(panel["establishment_id"])].set_index("establishment_id")
    if "province_code" in panel:
        out["province_code"] = panel.groupby("establishment_id")["province_code"].first()
    out["base_year"] = base["year"]
    out["base_productivity"] = base["output_per_worker"]
    out["post_productivity"] = post.mean()
    out["n_post_years"] = post.count().reindex(out.index).fillna(0).astype(int)
    out["gain"] = ratio(out["post_productivity"], out["base_productivity"]) - 1
    return out.reset_index()


def did_panel(survey: pd.DataFrame, register: pd.DataFrame,
              statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Survey with productivity plus ``support_year`` (earliest register year of the establishment),
    ``event_time`` = year - support_year (NaN for never-supported establishments) and
    ``treated_post`` (1 from the support year on) — the input of :mod:`khuyencong.analysis.models`."""
    require(survey, ["establishment_id", "year"], "survey")
    require(register, ["establishment_id", "year"], "register")
    first = spent(register, statuses).groupby("establishment_id")["year"].min().rename("support_year")
    out = productivity(survey).merge(first.reset_index(), on="establishment_id", how="left")
    out["event_time"] = out["year"] - out["support_year"]
    out["treated_post"] = (out["event_time"] >= 0).astype(float)
    return out


def share_in_band(gains: pd.DataFrame, low: float = 0.15, high: float = 0.40,
                  by: str | Sequence[str] | None = None, column: str = "gain") -> pd.DataFrame:
    """Shares of establishments with ``low <= gain <= high``, below and above (missing gains excluded,
    counted in ``n_missing``)."""
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high})")
    by = _as_list(by)
    require(gains, [*by, column], "gains")
    g = gains.assign(_in=gains[column].between(low, high), _below=gains[column] < low,
                     _above=gains[column] > high, _ok=gains[column].notna())
    table = _groupby(g, by).agg(n=("_ok", "sum"), n_missing=("_ok", lambda s: int((~s).sum())),
                                in_band=("_in", "sum"), below=("_below", "sum"), above=("_above", "sum"))
    for col in ("in_band", "below", "above"):
        table[f"share_{col}"] = ratio(table[col], table["n"])
    return _reset(table, by)


# ---------------------------------------------------------------- outputs per budget

def output_categories() -> dict[str, list[str]]:
    """Output column -> categories whose projects produce it (``output_column`` of categories.csv)."""
    out: dict[str, list[str]] = {c: [] for c in OUTPUT_COLUMNS}
    for cat in categories():
        if cat.output_column:
            out.setdefault(cat.output_column, []).append(cat.code)
    return out


def outputs_per_budget(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
                       statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """State support per unit of output (million VND per trainee, establishment, model, product, machine).

    For each output, only projects of the categories whose ``output_column`` in categories.csv is that
    output count (e.g. trainees: training, management, programme_capacity). Projects of those
    categories that report no value for the output are left out of both sums and counted in
    ``projects_missing_output``. Outputs absent from the register are skipped.
    """
    by = _as_list(by)
    require(register, [*by, "category", "state_support"], "register")
    data = spent(register, statuses)
    parts = []
    for output, cats in output_categories().items():
        if output not in data.columns or not cats:
            continue
        sub = data.loc[data["category"].isin(cats)]
        sub = sub.assign(_has=sub[output].notna(), _state=sub["state_support"].where(sub[output].notna()))
        t = _groupby(sub, by).agg(projects=("_has", "sum"), projects_missing_output=("_has", lambda s: int((~s).sum())),
                                  state_support=("_state", "sum"), output_total=(output, "sum"))
        t = _reset(t, by)
        t.insert(len(by), "output", output)
        t.insert(len(by) + 1, "categories", ";".join(cats))
        parts.append(t)
    if not parts:
        raise KeyError(f"register has none of the output columns {list(OUTPUT_COLUMNS)}")
    out = pd.concat(parts, ignore_index=True)
    out["support_per_unit"] = ratio(out["state_support"], out["output_total"])
    return out


# ---------------------------------------------------------------- plans and regional comparison

def plan_attainment(plans: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",)) -> pd.DataFrame:
    """Σ achieved / Σ planned per group and indicator; rows lacking either value are left out
    (counted in ``rows_incomplete``)."""
    by = _as_list(by)
    require(plans, [*by, "indicator", "planned", "achieved"], "plans")
    complete = plans["planned"].notna() & plans["achieved"].notna()
    data = plans.assign(_ok=complete, _p=plans["planned"].where(complete), _a=plans["achieved"].where(complete))
    t = data.groupby([*by, "indicator"], sort=True, observed=True).agg(
        rows=("_ok", "sum"), rows_incomplete=("_ok", lambda s: int((~s).sum())),
        planned=("_p", "sum"), achieved=("_a", "sum")).reset_index()
    t["attainment"] = ratio(t["achieved"], t["planned"])
    return t


def compare_to_region(df: pd.DataFrame, value_col: str, numerator: str | None = None,
                      denominator: str | None = None, region_col: str = "region_code",
                      unit_col: str = "province_code") -> pd.DataFrame:
    """Each province's value beside its region's and the country's, and its rank in both.

    With ``numerator``/``denominator`` the region and country values are ratios of their sums
    (right for ratios such as co-funding); otherwise they are unweighted means of the provinces.
    One row per province is expected (compare one year at a time).
    """
    cols = [unit_col, region_col, value_col] + [c for c in (numerator, denominator) if c]
    require(df, cols, "compare_to_region input (group by region_code too, e.g. by=['region_code', 'province_code'])")
    if df[unit_col].duplicated().any():
        raise ValueError(f"{unit_col} repeats: pass one row per province (e.g. one year)")
    if (numerator is None) != (denominator is None):
        raise ValueError("give both numerator and denominator, or neither")
    out = df.copy()
    if numerator:
        reg = df.groupby(region_col)[[numerator, denominator]].transform("sum")
        out["region_value"] = ratio(reg[numerator], reg[denominator])
        out["country_value"] = float(ratio(df[numerator].sum(), df[denominator].sum()))
    else:
        out["region_value"] = df.groupby(region_col)[value_col].transform("mean")
        out["country_value"] = df[value_col].mean()
    out["vs_region"] = out[value_col] - out["region_value"]
    out["vs_country"] = out[value_col] - out["country_value"]
    out["rank_in_region"] = df.groupby(region_col)[value_col].rank(ascending=False, method="min")
    out["rank_in_country"] = df[value_col].rank(ascending=False, method="min")
    return out

# ---------------------------------------------------------------- selection against region and country

def selection_vs_country(measure, data: pd.DataFrame, code_column: str, code: str | None,
                         by: str | Sequence[str] = "year", labels: tuple[str, str] = ("selection", "country"),
                         **kwargs) -> pd.DataFrame:
    """``measure(data, by=by, **kwargs)`` for the province ``code`` (rows with ``code_column == code``)
    and for the whole country, stacked with an ``area`` column holding ``labels``. ``code=None``
    (every province) gives the country rows only."""
    require(data, [code_column], "selection_vs_country data")
    country = measure(data, by=by, **kwargs).assign(area=labels[1])
    if code is None:
        return country.reset_index(drop=True)
    chosen = data.loc[data[code_column].astype("string") == str(code)]
    if chosen.empty:
        raise InputError(f"no rows with {code_column} == {code!r}; check the selection and the years")
    return pd.concat([measure(chosen, by=by, **kwargs).assign(area=labels[0]), country], ignore_index=True)


def versus_region(table: pd.DataFrame, value: str, numerator: str, denominator: str, key: str,
                  unit_col: str = "province_code", region_col: str = "region_code") -> pd.DataFrame:
    """:func:`compare_to_region` within each ``key`` (e.g. each output or plan indicator) of a table
    with one row per ``key`` × province; region and country values are ratios of sums."""
    require(table, [key], "versus_region table")
    parts = [compare_to_region(grp, value, numerator, denominator, region_col, unit_col)
             for _, grp in table.groupby(key, sort=True)]
    if not parts:
        raise InputError("versus_region: the table is empty")
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------- productivity DiD sample

def first_support(register: pd.DataFrame, statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Per establishment: ``support_year`` and ``support_category`` of its first project with a status
    in ``statuses`` (earliest year; ties broken by project_id)."""
    require(register, ["establishment_id", "year", "project_id", "category"], "register")
    data = spent(register, statuses).dropna(subset=["establishment_id"])
    first = data.sort_values(["year", "project_id"], kind="stable").drop_duplicates("establishment_id")
    return first[["establishment_id", "year", "category"]].rename(
        columns={"year": "support_year", "category": "support_category"}).reset_index(drop=True)


def productivity_panel(survey: pd.DataFrame, register: pd.DataFrame,
                       statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """:func:`did_panel` plus ``support_category`` (category of the first support), without the
    establishments that are in the register but had no project with a status in ``statuses`` (only
    stopped or deferred ones): they are neither supported nor clean comparisons. Comparison units are
    then establishments never in the register. ``attrs["dropped_establishments"]`` counts the dropped."""
    panel = did_panel(survey, register, statuses)
    first = first_support(register, statuses)
    registered = set(register["establishment_id"].dropna())
    unclean = panel["support_year"].isna() & panel["establishment_id"].isin(registered)
    out = panel.loc[~unclean].merge(first[["establishment_id", "support_category"]], on="establishment_id",
                                    how="left", validate="many_to_one").reset_index(drop=True)
    out.attrs["dropped_establishments"] = int(panel.loc[unclean, "establishment_id"].nunique())
    return out
