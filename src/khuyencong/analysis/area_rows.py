"""Headline rows of areas (provinces, regions, the country): the numbers of the province brief.

One row per measure × area (columns :data:`COLUMNS`, numbers only: the area's name in the reader's
language is added by :mod:`khuyencong.views.brief`). Each builder takes the selection's years and
boundaries (``sel``: anything with ``start_year``, ``end_year``, ``boundaries``, ``code_column``)
and the areas to compute. Every area's interval is drawn from its own generator seeded with
``seed``, so an area's row does not depend on which other areas are computed with it: the rows of
every area at once (:mod:`khuyencong.analysis.area_tables`) equal those of one brief.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong.analysis import growth as pn
from khuyencong.analysis import metrics
from khuyencong.analysis import models
from khuyencong.analysis import productivity as prod
from khuyencong.core import provinces
from khuyencong.synthetic import truth as synthetic_truth

LEVELS = ("province", "region", "country")
MEASURES = ("cofunding_ratio", "productivity_effect", "cost_per_trainee", "cost_per_establishment",
            "plan_attainment", "spending_intensity", "industrial_growth", "grdp_link")
UNITS = {"cofunding_ratio": "VND per VND", "productivity_effect": "fraction", "cost_per_trainee": "million VND",
         "cost_per_establishment": "million VND", "plan_attainment": "fraction",
         "spending_intensity": "percent", "industrial_growth": "percent per year",
         "grdp_link": "growth points per 0.01 point of intensity"}
COLUMNS = ("measure", "level", "area_code", "value", "low", "high", "n", "n_comparison", "truth", "note", "unit")
MIN_ROWS = 5          # fewer projects / plan rows: shown, flagged as too few (as views.results.MIN_PROJECTS)
ATTAINMENT_INDICATOR = "trainees"
LINK_STEP = 0.01  # the GRDP link per 0.01 point of intensity: the size of real year-to-year changes
DESCRIPTIVE = ("spending_intensity", "industrial_growth")  # totals of the period: no interval


@dataclass(frozen=True)
class Area:
    """A province, a region or the country (``code`` None); ``label``: its name in the reader's
    language where a view needs it (not part of the numbers)."""

    level: str
    code: str | None
    label: str = ""


def every_area(boundaries: str) -> list[Area]:
    """Each province on ``boundaries`` (Hà Tây too on legacy ones), each region, the country."""
    records = provinces.records(boundaries, include_ha_tay=True)
    regions = sorted({p.region_code for p in records})
    return ([Area("province", p.code) for p in records] + [Area("region", r) for r in regions]
            + [Area("country", None)])


def _region_of(boundaries: str) -> dict[str, str]:
    return {p.code: p.region_code for p in provinces.records(boundaries, include_ha_tay=True)}


def area_mask(df: pd.DataFrame, area, code_column: str, boundaries: str) -> pd.Series:
    """Rows of ``df`` (province codes in ``code_column`` on ``boundaries``) inside ``area``."""
    codes = df[code_column].astype("string")
    if area.level == "country":
        return pd.Series(True, index=df.index)
    if area.level == "province":
        return (codes == area.code).fillna(False)
    return (codes.map(_region_of(boundaries)) == area.code).fillna(False)


def row(measure: str, area, value=np.nan, low=np.nan, high=np.nan, n=0, truth=np.nan, note: str = "",
        n_comparison=np.nan, unit: str | None = None) -> dict:
    return {"measure": measure, "level": area.level, "area_code": area.code or provinces.ALL,
            "value": float(value), "low": float(low), "high": float(high), "n": int(n),
            "n_comparison": float(n_comparison), "truth": float(truth), "note": note,
            "unit": unit or UNITS[measure]}


# ---------------------------------------------------------------- intervals

def ratio_interval(numerator, denominator, n_boot: int = 499, seed: int = 0,
                   ci: float = 0.95) -> tuple[float, float, float]:
    """(Σ numerator / Σ denominator, low, high): percentile interval from resampling rows with
    replacement ``n_boot`` times. Fewer than two rows or a zero denominator give NaN bounds."""
    if n_boot < 1:
        raise ValueError("n_boot must be a positive number of bootstrap draws")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95), not {ci}")
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if num.shape != den.shape:
        raise ValueError(f"numerator and denominator differ in length ({num.size} vs {den.size})")
    point = num.sum() / den.sum() if den.size and den.sum() != 0 else np.nan
    if num.size < 2 or not np.isfinite(point):
        return float(point), np.nan, np.nan
    idx = np.random.default_rng(seed).integers(0, num.size, size=(n_boot, num.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    low, high = np.nanquantile(draws, [(1 - ci) / 2, (1 + ci) / 2])
    return float(point), float(low), float(high)


# ---------------------------------------------------------------- co-funding

def in_years(frame: pd.DataFrame, sel) -> pd.DataFrame:
    return frame.loc[frame["year"].between(sel.start_year, sel.end_year)]


def cofunding_by_province(register: pd.DataFrame, sel, n_boot: int = 499, seed: int = 0) -> pd.DataFrame:
    """:func:`metrics.bootstrap_cofunding` per province on the selection's boundaries and years
    (one generator for all provinces in turn: the table is computed whole, never per province)."""
    return metrics.bootstrap_cofunding(in_years(register, sel), by=sel.code_column, n_boot=n_boot, seed=seed)


def _cofunding_truth(sub: pd.DataFrame, truth: Mapping | None) -> float:
    if truth is None:
        return np.nan
    expected = synthetic_truth.expected_cofunding(sub, truth)
    return float(metrics.cofunding(sub.assign(beneficiary_contribution=expected), by=None)["cofunding_ratio"].iat[0])


def cofunding_rows(register: pd.DataFrame, sel, areas: Sequence, n_boot: int = 499, seed: int = 0,
                   truth: Mapping | None = None, by_province: pd.DataFrame | None = None) -> list[dict]:
    """Co-funding ratio (Σ contribution / Σ state support, spent projects) of each area; a province
    takes its row of ``by_province`` when given (the ranking figure's draws)."""
    years = in_years(register, sel)
    rows = []
    for area in areas:
        sub = years.loc[area_mask(years, area, sel.code_column, sel.boundaries)]
        n = int(sub["status"].isin(metrics.SPENT_STATUSES).sum())
        if n == 0:
            rows.append(row("cofunding_ratio", area, note="no_data"))
            continue
        if area.level == "province" and by_province is not None:
            est = by_province.loc[by_province[sel.code_column].astype(str) == area.code]
        else:
            est = metrics.bootstrap_cofunding(sub, by=None, n_boot=n_boot, seed=seed)
        rows.append(row("cofunding_ratio", area, est["cofunding_ratio"].iat[0], est["ratio_low"].iat[0],
                        est["ratio_high"].iat[0], n, _cofunding_truth(sub, truth), "too_few" if n < MIN_ROWS else ""))
    return rows


# ---------------------------------------------------------------- support per unit of output

def cost_rows(register: pd.DataFrame, sel, output: str, areas: Sequence, n_boot: int = 499,
              seed: int = 0) -> list[dict]:
    """State support per unit of ``output`` (trainees, establishments_supported) of each area,
    counting only spent projects of the categories that produce it and report a value (as
    :func:`metrics.outputs_per_budget`)."""
    measure = {"trainees": "cost_per_trainee", "establishments_supported": "cost_per_establishment"}[output]
    cats = metrics.output_categories()[output]
    years = in_years(register, sel)
    used = years.loc[years["status"].isin(metrics.SPENT_STATUSES) & years["category"].isin(cats)
                     & years[output].notna()]
    rows = []
    for area in areas:
        sub = used.loc[area_mask(used, area, sel.code_column, sel.boundaries)]
        if sub.empty or sub[output].sum() == 0:
            rows.append(row(measure, area, n=len(sub), note="no_data"))
            continue
        value, low, high = ratio_interval(sub["state_support"], sub[output], n_boot, seed)
        rows.append(row(measure, area, value, low, high, len(sub), note="too_few" if len(sub) < MIN_ROWS else ""))
    return rows


# ---------------------------------------------------------------- plan attainment

def attainment_truth(plans: pd.DataFrame, truth: Mapping) -> float:
    """Σ achieved / Σ (achieved / generator mean attainment of each row): the attainment the demo
    generator aims at for these rows (northern regions' training rows have their own mean)."""
    doc = truth["truth"]["plans"]
    northern = plans["region_code"].astype(str).isin(doc["northern_regions"]) & (plans["indicator"] == "trainees")
    mean = np.where(northern, doc["northern_trainee_attainment_mean"], doc["attainment_mean"])
    achieved = plans["achieved"].to_numpy(dtype=float)
    return float(achieved.sum() / (achieved / mean).sum()) if achieved.sum() else np.nan


def attainment_rows(plans: pd.DataFrame, sel, areas: Sequence, indicator: str = ATTAINMENT_INDICATOR,
                    n_boot: int = 499, seed: int = 0, truth: Mapping | None = None) -> list[dict]:
    """Σ achieved / Σ planned of ``indicator`` in each area; the interval resamples plan rows
    (province-years)."""
    chosen = plans.loc[(plans["indicator"] == indicator) & plans["year"].between(sel.start_year, sel.end_year)
                       & plans["planned"].notna() & plans["achieved"].notna()]
    rows = []
    for area in areas:
        sub = chosen.loc[area_mask(chosen, area, sel.code_column, sel.boundaries)]
        if sub.empty:
            rows.append(row("plan_attainment", area, note="no_data"))
            continue
        value, low, high = ratio_interval(sub["achieved"], sub["planned"], n_boot, seed)
        true = attainment_truth(sub, truth) if truth is not None else np.nan
        rows.append(row("plan_attainment", area, value, low, high, len(sub), true,
                        "too_few" if len(sub) < MIN_ROWS else ""))
    return rows


# ---------------------------------------------------------------- productivity

def productivity_rows(survey: pd.DataFrame, register: pd.DataFrame, sel, areas: Sequence,
                      truth: Mapping | None = None) -> list[dict]:
    """Sun–Abraham ATT on log output per worker of each area's establishments, as a proportional
    change exp(b) − 1 (``value``, ``low``, ``high``); ``n`` = supported, ``n_comparison`` =
    never-supported establishments. Too few of either: no value, note ``too_few``."""
    panel = metrics.productivity_panel(in_years(survey, sel), register)
    return [_att_row(panel.loc[area_mask(panel, a, sel.code_column, sel.boundaries)], a, truth) for a in areas]


def _att_row(panel: pd.DataFrame, area, truth: Mapping | None) -> dict:
    treated, comparison = models.unit_counts(panel)
    est, why = prod.brief_att(panel)
    if est is None:
        return row("productivity_effect", area, n=treated, n_comparison=comparison, note=why)
    true = models.log_to_pct(prod.truth_for(panel, truth)["att"]) if truth is not None else np.nan
    pct = models.log_to_pct([est.coef, est.ci_low, est.ci_high])
    return row("productivity_effect", area, *pct, n=treated, truth=true, n_comparison=comparison,
               note="few_clusters" if est.few_clusters else "")


# ---------------------------------------------------------------- spending intensity and growth

def growth_frame(register: pd.DataFrame, province_stats: pd.DataFrame, sel) -> pd.DataFrame:
    """:func:`panel.growth_panel` on the selection's boundaries, restricted to its years."""
    return pn.in_scope(pn.growth_panel(register, province_stats, sel.boundaries), None, sel.start_year, sel.end_year)


def _pooled(panel: pd.DataFrame) -> tuple[float, float, int]:
    """(100 Σ support / Σ previous GRDP, 100 (Σ GRDP / Σ previous GRDP − 1), province-years)."""
    ok = panel["industrial_grdp"].notna() & (panel[pn.IIP_WEIGHT] > 0) & panel["state_support"].notna()
    data = panel.loc[ok]
    prev = data[pn.IIP_WEIGHT].sum()
    if prev <= 0:
        return np.nan, np.nan, 0
    return 100 * data["state_support"].sum() / prev, 100 * (data["industrial_grdp"].sum() / prev - 1), len(data)


def growth_rows(growth: pd.DataFrame, sel, areas: Sequence, n_boot: int = 499, seed: int = 0,
                truth: Mapping | None = None) -> list[dict]:
    """Each area's spending intensity and average industrial growth over the period (descriptive,
    no interval), and, when the country is among ``areas``, the national TWFE link of growth to
    intensity per :data:`LINK_STEP` point (wild cluster bootstrap interval), an association."""
    rows = []
    for area in areas:
        sub = growth.loc[area_mask(growth, area, pn.UNIT, sel.boundaries)]
        intensity, rate, n = _pooled(sub)
        note = "" if n else "no_data"
        rows += [row("spending_intensity", area, intensity, n=n, note=note),
                 row("industrial_growth", area, rate, n=n, note=note)]
    country = next((a for a in areas if a.level == "country"), None)
    if country is None:
        return rows
    fit = pn.fit(growth, pn.GROWTH, pn.MAIN_X, pn.INTENSITY, n_boot, seed)
    true = pn.truth_coefficients(truth)[pn.INTENSITY] * LINK_STEP if truth is not None else np.nan
    note = "too_few" if fit["note"] == "too_few" else ("few_clusters" if fit["few_clusters"] else "")
    rows.append(row("grdp_link", country, fit["coef"] * LINK_STEP, fit["wild_ci_low"] * LINK_STEP,
                    fit["wild_ci_high"] * LINK_STEP, fit["n_clusters"], true, note))
    return rows

