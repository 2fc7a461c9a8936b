"""Effectiveness measures on the processed tables (pure pandas/numpy; money in million VND).

Ratios across projects or provinces are always ratios of sums (Σ numerator / Σ denominator), never
means of per-project ratios, so large projects weigh by their size. Projects stopped or deferred
are excluded by default (``statuses``): their amounts were not spent as registered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong.core.datasets import categories

SPENT_STATUSES = ("completed", "adjusted")
OUTPUT_COLUMNS = ("trainees", "establishments_supported", "demonstration_models", "typical_products", "machines")

DEFAULT_CEILINGS_NOTE = (
    "Support ceilings (maximum state share of a project's cost and maximum state amount per "
    "project, by content category and funding source) must be taken from Circular 28/2018/TT-BTC "
    "of the Ministry of Finance, amended by Circular 64/2024/TT-BTC, and for local (KCĐP) projects from "
    "the province's own resolution on support levels, checked against the gazetted text for the "
    "year of each project. No ceiling values are built into this package."
)


# ---------------------------------------------------------------- helpers

def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise KeyError(f"{what} lacks column(s) {missing}; available: {list(df.columns)}")


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _spent(register: pd.DataFrame, statuses: Sequence[str] | None) -> pd.DataFrame:
    """Projects whose status is in ``statuses`` (``None`` keeps all)."""
    if statuses is None:
        return register
    _require(register, ["status"], "register")
    return register.loc[register["status"].isin(list(statuses))]


def _no_missing(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    for c in cols:
        bad = df[c].isna()
        if bad.any():
            ids = df.loc[bad, "project_id"].head(5).tolist() if "project_id" in df else []
            raise ValueError(f"{what}: {int(bad.sum())} row(s) have no {c!r} (e.g. projects {ids}); "
                             "fill them in the raw file or exclude those projects explicitly")


def _ratio(num, den):
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

def cofunding(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
              statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Per group: projects, Σ state support, Σ beneficiary contribution (million VND),
    ``cofunding_ratio`` = Σ contribution / Σ state support (beneficiary VND per VND of state support)
    and ``state_share`` = Σ state / Σ (state + contribution). ``statuses=None`` keeps every project."""
    by = _as_list(by)
    money = ["state_support", "beneficiary_contribution"]
    _require(register, [*by, *money], "register")
    data = _spent(register, statuses)
    _no_missing(data, money, "cofunding")
    table = _groupby(data, by)[money].agg(["count", "sum"])
    out = pd.DataFrame({"projects": table[("state_support", "count")],
                        "state_support": table[("state_support", "sum")],
                        "beneficiary_contribution": table[("beneficiary_contribution", "sum")]})
    out["cofunding_ratio"] = _ratio(out["beneficiary_contribution"], out["state_support"])
    out["state_share"] = _ratio(out["state_support"], out["state_support"] + out["beneficiary_contribution"])
    return _reset(out, by)


@dataclass(frozen=True)
class CofundingDraws:
    """Bootstrap draws of the co-funding measures, one row per group (order of ``point``)."""

    point: pd.DataFrame        # cofunding() of the original data
    by: list[str]
    ratio: np.ndarray          # groups x n_boot
    state_share: np.ndarray    # groups x n_boot


def cofunding_draws(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
                    n_boot: int = 999, seed: int = 0,
                    statuses: Sequence[str] | None = SPENT_STATUSES) -> CofundingDraws:
    """Resample projects with replacement within each group, ``n_boot`` times (numpy Generator)."""
    if n_boot < 1:
        raise ValueError("n_boot must be a positive number of bootstrap draws")
    by = _as_list(by)
    point = cofunding(register, by, statuses)
    data = _spent(register, statuses)
    if data.empty:
        raise ValueError(f"no projects with status in {statuses} to resample")
    rng = np.random.default_rng(seed)
    state, contrib = [], []
    for _, grp in _groupby(data, by):
        s = grp["state_support"].to_numpy(dtype=float)
        c = grp["beneficiary_contribution"].to_numpy(dtype=float)
        idx = rng.integers(0, len(s), size=(n_boot, len(s)))
        state.append(s[idx].sum(axis=1))
        contrib.append(c[idx].sum(axis=1))
    state, contrib = np.vstack(state), np.vstack(contrib)
    return CofundingDraws(point, by, _ratio(contrib, state), _ratio(state, state + contrib))


def _interval(draws: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95), not {ci}")
    with np.errstate(invalid="ignore"):
        low, high = np.nanquantile(draws, [(1 - ci) / 2, (1 + ci) / 2], axis=1)
    return low, high


def bootstrap_cofunding(register: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",),
                        n_boot: int = 999, seed: int = 0, ci: float = 0.95,
                        statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """:func:`cofunding` plus percentile intervals of ``cofunding_ratio`` and ``state_share``
    from resampling projects within each group."""
    draws = cofunding_draws(register, by, n_boot, seed, statuses)
    out = draws.point.copy()
    out["ratio_low"], out["ratio_high"] = _interval(draws.ratio, ci)
    out["share_low"], out["share_high"] = _interval(draws.state_share, ci)
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


# ---------------------------------------------------------------- support ceilings

def _ceiling_frame(ceilings: pd.DataFrame | Mapping) -> pd.DataFrame:
    if isinstance(ceilings, Mapping):
        ceilings = pd.DataFrame.from_dict(ceilings, orient="index").rename_axis("category").reset_index()
    table = ceilings.reset_index() if "category" not in ceilings.columns else ceilings.copy()
    _require(table, ["category"], "ceilings")
    limits = [c for c in ("max_state_share", "max_state_amount_mvnd") if c in table.columns]
    if not limits:
        raise KeyError("ceilings need a 'max_state_share' and/or 'max_state_amount_mvnd' column")
    keys = ["category"] + (["funding_source"] if "funding_source" in table.columns else [])
    if table.duplicated(keys).any():
        raise ValueError(f"ceilings list some {keys} more than once: {table.loc[table.duplicated(keys), keys].values.tolist()}")
    return table[keys + limits]


def ceiling_breaches(register: pd.DataFrame, ceilings: pd.DataFrame | Mapping,
                     statuses: Sequence[str] | None = None, tolerance: float = 1e-9) -> pd.DataFrame:
    """Flag projects whose state share or state amount exceeds its category's ceiling.

    ``ceilings``: a frame (or ``{category: {...}}`` mapping) with ``category``, optionally
    ``funding_source``, and ``max_state_share`` (0–1) and/or ``max_state_amount_mvnd``; a missing
    value means no such ceiling. Projects whose category has no row get ``has_ceiling=False`` and are
    never flagged. See :data:`DEFAULT_CEILINGS_NOTE` for where the values must come from.
    """
    table = _ceiling_frame(ceilings)
    keys = [c for c in ("category", "funding_source") if c in table.columns]
    money = ["state_support", "beneficiary_contribution"]
    _require(register, [*keys, *money], "register")
    data = _spent(register, statuses)
    _no_missing(data, money, "ceiling_breaches")
    out = data.merge(table.assign(has_ceiling=True), on=keys, how="left", validate="many_to_one")
    out["has_ceiling"] = out["has_ceiling"].fillna(False).astype(bool)
    out["state_share"] = _ratio(out["state_support"], out["state_support"] + out["beneficiary_contribution"])
    for flag, value, limit in (("breach_share", "state_share", "max_state_share"),
                               ("breach_amount", "state_support", "max_state_amount_mvnd")):
        lim = out[limit] if limit in out else pd.Series(np.nan, index=out.index)
        out[flag] = (out[value] > lim * (1 + tolerance)).fillna(False).astype(bool)
    out["breach"] = out["breach_share"] | out["breach_amount"]
    return out


# ---------------------------------------------------------------- productivity

def productivity(survey: pd.DataFrame) -> pd.DataFrame:
    """Add ``output_per_worker`` (million VND per worker) and ``log_productivity``.

    Rows with zero workers or non-positive output get NaN (undefined); negative values raise.
    """
    _require(survey, ["output_value", "workers"], "survey")
    out = survey.copy()
    output = pd.to_numeric(out["output_value"]).astype(float)
    workers = pd.to_numeric(out["workers"]).astype(float)
    for name, col in (("output_value", output), ("workers", workers)):
        if (col < 0).any():
            raise ValueError(f"survey has negative {name} in {int((col < 0).sum())} row(s); correct the raw data")
    out["output_per_worker"] = _ratio(output, workers)
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
    _require(survey, ["establishment_id", "year", "output_value", "workers"], "survey")
    _require(register, ["establishment_id", "year"], "register")
    first = (_spent(register, statuses).groupby("establishment_id")["year"].min()
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
    out["gain"] = _ratio(out["post_productivity"], out["base_productivity"]) - 1
    return out.reset_index()


def did_panel(survey: pd.DataFrame, register: pd.DataFrame,
              statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Survey with productivity plus ``support_year`` (earliest register year of the establishment),
    ``event_time`` = year - support_year (NaN for never-supported establishments) and
    ``treated_post`` (1 from the support year on) — the input of :mod:`khuyencong.analysis.models`."""
    _require(survey, ["establishment_id", "year"], "survey")
    _require(register, ["establishment_id", "year"], "register")
    first = _spent(register, statuses).groupby("establishment_id")["year"].min().rename("support_year")
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
    _require(gains, [*by, column], "gains")
    g = gains.assign(_in=gains[column].between(low, high), _below=gains[column] < low,
                     _above=gains[column] > high, _ok=gains[column].notna())
    table = _groupby(g, by).agg(n=("_ok", "sum"), n_missing=("_ok", lambda s: int((~s).sum())),
                                in_band=("_in", "sum"), below=("_below", "sum"), above=("_above", "sum"))
    for col in ("in_band", "below", "above"):
        table[f"share_{col}"] = _ratio(table[col], table["n"])
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
    _require(register, [*by, "category", "state_support"], "register")
    data = _spent(register, statuses)
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
    out["support_per_unit"] = _ratio(out["state_support"], out["output_total"])
    return out


# ---------------------------------------------------------------- plans and regional comparison

def plan_attainment(plans: pd.DataFrame, by: str | Sequence[str] | None = ("province_code",)) -> pd.DataFrame:
    """Σ achieved / Σ planned per group and indicator; rows lacking either value are left out
    (counted in ``rows_incomplete``)."""
    by = _as_list(by)
    _require(plans, [*by, "indicator", "planned", "achieved"], "plans")
    complete = plans["planned"].notna() & plans["achieved"].notna()
    data = plans.assign(_ok=complete, _p=plans["planned"].where(complete), _a=plans["achieved"].where(complete))
    t = data.groupby([*by, "indicator"], sort=True, observed=True).agg(
        rows=("_ok", "sum"), rows_incomplete=("_ok", lambda s: int((~s).sum())),
        planned=("_p", "sum"), achieved=("_a", "sum")).reset_index()
    t["attainment"] = _ratio(t["achieved"], t["planned"])
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
    _require(df, cols, "compare_to_region input (group by region_code too, e.g. by=['region_code', 'province_code'])")
    if df[unit_col].duplicated().any():
        raise ValueError(f"{unit_col} repeats: pass one row per province (e.g. one year)")
    if (numerator is None) != (denominator is None):
        raise ValueError("give both numerator and denominator, or neither")
    out = df.copy()
    if numerator:
        reg = df.groupby(region_col)[[numerator, denominator]].transform("sum")
        out["region_value"] = _ratio(reg[numerator], reg[denominator])
        out["country_value"] = float(_ratio(df[numerator].sum(), df[denominator].sum()))
    else:
        out["region_value"] = df.groupby(region_col)[value_col].transform("mean")
        out["country_value"] = df[value_col].mean()
    out["vs_region"] = out[value_col] - out["region_value"]
    out["vs_country"] = out[value_col] - out["country_value"]
    out["rank_in_region"] = df.groupby(region_col)[value_col].rank(ascending=False, method="min")
    out["rank_in_country"] = df[value_col].rank(ascending=False, method="min")
    return out


# ---------------------------------------------------------------- spending intensity

def spending_intensity(register: pd.DataFrame, province_stats: pd.DataFrame, lags: Sequence[int] = (1, 2),
                       statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Province-year state support, its ratio to industrial GRDP (``intensity``), support per
    inhabitant (VND; population is in thousands) and lagged intensities (``intensity_lag1``...).

    Province-years inside the register's year range with no project get support 0; years outside
    it stay NaN (not covered, not zero). Lags use the calendar year before, not the previous row.
    Also adds ``log_industrial_grdp`` and its one-year change ``industrial_growth``.
    """
    _require(register, ["province_code", "year", "state_support"], "register")
    _require(province_stats, ["province_code", "year", "industrial_grdp"], "province_stats")
    spent = _spent(register, statuses)
    _no_missing(spent, ["state_support"], "spending_intensity")
    support = spent.groupby(["province_code", "year"], as_index=False)["state_support"].sum()
    stats = province_stats.drop(columns=["state_support"], errors="ignore")
    if stats.duplicated(["province_code", "year"]).any():
        raise ValueError("province_stats has more than one row for some province_code and year")
    out = stats.merge(support, on=["province_code", "year"], how="left", validate="one_to_one")
    covered = out["year"].between(register["year"].min(), register["year"].max())
    out["state_support"] = out["state_support"].where(~covered | out["state_support"].notna(), 0.0)
    grdp = pd.to_numeric(out["industrial_grdp"]).astype(float)
    out["intensity"] = _ratio(out["state_support"], grdp)
    if "population" in out:
        out["support_per_capita_vnd"] = _ratio(out["state_support"] * 1e3, out["population"])
    out["log_industrial_grdp"] = np.log(grdp.where(grdp > 0))
    out = _add_lag(out, "log_industrial_grdp", 1, "_lig_prev")
    out["industrial_growth"] = out["log_industrial_grdp"] - out.pop("_lig_prev")
    for k in lags:
        out = _add_lag(out, "intensity", k, f"intensity_lag{k}")
    return out.sort_values(["province_code", "year"]).reset_index(drop=True)


def _add_lag(df: pd.DataFrame, col: str, k: int, name: str) -> pd.DataFrame:
    prev = df[["province_code", "year", col]].assign(year=df["year"] + k).rename(columns={col: name})
    return df.merge(prev, on=["province_code", "year"], how="left")


# ---------------------------------------------------------------- support ceilings file

CEILING_COLUMNS = ("category", "funding_source", "max_state_share", "max_state_amount_mvnd", "legal_basis", "verified")


def _ceiling_values(table: pd.DataFrame, path) -> pd.DataFrame:
    out = table.copy()
    for col in ("max_state_share", "max_state_amount_mvnd"):
        text = out[col].astype(str).str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            raise ValueError(f"{path}: {col} is not a number in rows {list(out.index[bad] + 2)}; "
                             "write plain numbers (0.5 for 50%, 300 for 300 million VND)")
        out[col] = values.astype(float)
    if not out["max_state_share"].dropna().between(0, 1, inclusive="right").all():
        raise ValueError(f"{path}: max_state_share must be a fraction in (0, 1], e.g. 0.5 for 50%")
    if (out["max_state_amount_mvnd"].dropna() <= 0).any():
        raise ValueError(f"{path}: max_state_amount_mvnd must be positive (million VND)")
    return out


def load_ceilings(path=None, verified_only: bool = True) -> pd.DataFrame:
    """Support ceilings from ``data/support_ceilings.csv`` (columns :data:`CEILING_COLUMNS`).

    ``verified`` is ``yes`` only once the values were checked against the gazetted text named in
    ``legal_basis``. With ``verified_only`` the result keeps verified rows that carry a value; an
    empty result means the ceiling check is inactive. Input for :func:`ceiling_breaches`.
    """
    from khuyencong.paths import PACKAGE_DATA

    path = PACKAGE_DATA / "support_ceilings.csv" if path is None else path
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(table.columns) != CEILING_COLUMNS:
        raise ValueError(f"{path}: columns must be {list(CEILING_COLUMNS)}, found {list(table.columns)}")
    known = {c.code for c in categories()}
    checks = {"category": known, "funding_source": {"KCQG", "KCDP"}, "verified": {"yes", "no"}}
    for col, allowed in checks.items():
        bad = ~table[col].isin(allowed)
        if bad.any():
            raise ValueError(f"{path}: {col} must be one of {sorted(allowed)}; rows {list(table.index[bad] + 2)} "
                             f"have {table.loc[bad, col].unique().tolist()}")
    out = _ceiling_values(table, path)
    has_value = out[["max_state_share", "max_state_amount_mvnd"]].notna().any(axis=1)
    empty_yes = (out["verified"] == "yes") & ~has_value
    if empty_yes.any():
        raise ValueError(f"{path}: rows {list(out.index[empty_yes] + 2)} say verified=yes but give no ceiling value")
    _ceiling_frame(out)  # refuses duplicated category × funding_source
    if verified_only:
        out = out.loc[(out["verified"] == "yes") & has_value]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- selection against region and country

def selection_vs_country(measure, data: pd.DataFrame, code_column: str, code: str | None,
                         by: str | Sequence[str] = "year", labels: tuple[str, str] = ("selection", "country"),
                         **kwargs) -> pd.DataFrame:
    """``measure(data, by=by, **kwargs)`` for the province ``code`` (rows with ``code_column == code``)
    and for the whole country, stacked with an ``area`` column holding ``labels``. ``code=None``
    (every province) gives the country rows only."""
    _require(data, [code_column], "selection_vs_country data")
    country = measure(data, by=by, **kwargs).assign(area=labels[1])
    if code is None:
        return country.reset_index(drop=True)
    chosen = data.loc[data[code_column].astype("string") == str(code)]
    if chosen.empty:
        raise ValueError(f"no rows with {code_column} == {code!r}; check the selection and the years")
    return pd.concat([measure(chosen, by=by, **kwargs).assign(area=labels[0]), country], ignore_index=True)


def versus_region(table: pd.DataFrame, value: str, numerator: str, denominator: str, key: str,
                  unit_col: str = "province_code", region_col: str = "region_code") -> pd.DataFrame:
    """:func:`compare_to_region` within each ``key`` (e.g. each output or plan indicator) of a table
    with one row per ``key`` × province; region and country values are ratios of sums."""
    _require(table, [key], "versus_region table")
    parts = [compare_to_region(grp, value, numerator, denominator, region_col, unit_col)
             for _, grp in table.groupby(key, sort=True)]
    if not parts:
        raise ValueError("versus_region: the table is empty")
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------- productivity DiD sample

def first_support(register: pd.DataFrame, statuses: Sequence[str] | None = SPENT_STATUSES) -> pd.DataFrame:
    """Per establishment: ``support_year`` and ``support_category`` of its first project with a status
    in ``statuses`` (earliest year; ties broken by project_id)."""
    _require(register, ["establishment_id", "year", "project_id", "category"], "register")
    data = _spent(register, statuses).dropna(subset=["establishment_id"])
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
