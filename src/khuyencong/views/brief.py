"""The province policy brief (notebook 90): headline numbers with 95% intervals for the province,
its region and the country, in one long table (:func:`headlines`, columns :data:`COLUMNS`).

Estimates come from :mod:`khuyencong.analysis.metrics`, :mod:`khuyencong.analysis.models` and
:mod:`khuyencong.analysis.growth`; this module only picks the areas (province, its region, the
country) and attaches intervals and the SYNTHETIC truth. The wording (display table, reading,
caveats) is in :mod:`khuyencong.views.brief_text`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from khuyencong import paths
from khuyencong.analysis import growth as pn
from khuyencong.analysis import metrics
from khuyencong.analysis import models
from khuyencong.analysis import productivity as prod
from khuyencong.core import i18n
from khuyencong.core import provinces
from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.views import results

LEVELS = ("province", "region", "country")
MEASURES = ("cofunding_ratio", "productivity_effect", "cost_per_trainee", "cost_per_establishment",
            "plan_attainment", "spending_intensity", "industrial_growth", "grdp_link")
UNITS = {"cofunding_ratio": "VND per VND", "productivity_effect": "fraction", "cost_per_trainee": "million VND",
         "cost_per_establishment": "million VND", "plan_attainment": "fraction",
         "spending_intensity": "percent", "industrial_growth": "percent per year",
         "grdp_link": "growth points per 0.01 point of intensity"}
COLUMNS = ("measure", "level", "area_code", "area", "value", "low", "high", "n", "n_comparison", "truth",
           "note", "unit")
MIN_ROWS = results.MIN_PROJECTS      # fewer projects / plan rows: shown, flagged as too few
ATTAINMENT_INDICATOR = "trainees"
LINK_STEP = 0.01  # the GRDP link per 0.01 point of intensity: the size of real year-to-year changes
DESCRIPTIVE = ("spending_intensity", "industrial_growth")  # totals of the period: no interval
REJECTED_TABLES = ("register", "survey", "plans", "province_stats")


# ---------------------------------------------------------------- areas

@dataclass(frozen=True)
class Area:
    """One column of the brief: the province, its region or the country (``code`` None)."""

    level: str
    code: str | None
    label: str


def areas(sel, lang: str | None = None) -> list[Area]:
    """Province, region, country for a one-province selection; the country alone for ``"all"``."""
    lang = lang or sel.lang
    country = Area("country", None, i18n.t("country", lang))
    if sel.province is None:
        return [country]
    region = sel.province.region_code
    return [Area("province", sel.province.code, sel.province.name),
            Area("region", region, i18n.t(f"region.{region}", lang)), country]


def _region_of(boundaries: str) -> dict[str, str]:
    return {p.code: p.region_code for p in provinces.records(boundaries, include_ha_tay=True)}


def area_mask(df: pd.DataFrame, area: Area, code_column: str, boundaries: str) -> pd.Series:
    """Rows of ``df`` (province codes in ``code_column`` on ``boundaries``) inside ``area``."""
    codes = df[code_column].astype("string")
    if area.level == "country":
        return pd.Series(True, index=df.index)
    if area.level == "province":
        return (codes == area.code).fillna(False)
    return (codes.map(_region_of(boundaries)) == area.code).fillna(False)


def _row(measure: str, area: Area, value=np.nan, low=np.nan, high=np.nan, n=0, truth=np.nan, note: str = "",
         n_comparison=np.nan) -> dict:
    return {"measure": measure, "level": area.level, "area_code": area.code or provinces.ALL, "area": area.label,
            "value": float(value), "low": float(low), "high": float(high), "n": int(n),
            "n_comparison": float(n_comparison), "truth": float(truth), "note": note, "unit": UNITS[measure]}


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

def cofunding_by_province(register: pd.DataFrame, sel, n_boot: int = 499, seed: int = 0) -> pd.DataFrame:
    """:func:`metrics.bootstrap_cofunding` per province on the selection's boundaries and years
    (the ranking figure and the province's headline share these draws)."""
    years = register.loc[register["year"].between(sel.start_year, sel.end_year)]
    return metrics.bootstrap_cofunding(years, by=sel.code_column, n_boot=n_boot, seed=seed)


def _cofunding_truth(sub: pd.DataFrame, truth: Mapping | None) -> float:
    if truth is None:
        return np.nan
    expected = synthetic_truth.expected_cofunding(sub, truth)
    return float(results.cofunding_truth(sub, expected, by=None)["true_ratio"].iat[0])


def cofunding_rows(register: pd.DataFrame, sel, n_boot: int = 499, seed: int = 0, truth: Mapping | None = None,
                   by_province: pd.DataFrame | None = None) -> list[dict]:
    """Co-funding ratio (Σ contribution / Σ state support, spent projects) of each area."""
    years = register.loc[register["year"].between(sel.start_year, sel.end_year)]
    rows = []
    for area in areas(sel):
        sub = years.loc[area_mask(years, area, sel.code_column, sel.boundaries)]
        n = int(sub["status"].isin(metrics.SPENT_STATUSES).sum())
        if n == 0:
            rows.append(_row("cofunding_ratio", area, note="no_data"))
            continue
        if area.level == "province" and by_province is not None:
            est = by_province.loc[by_province[sel.code_column].astype(str) == area.code]
        else:
            est = metrics.bootstrap_cofunding(sub, by=None, n_boot=n_boot, seed=seed)
        rows.append(_row("cofunding_ratio", area, est["cofunding_ratio"].iat[0], est["ratio_low"].iat[0],
                         est["ratio_high"].iat[0], n, _cofunding_truth(sub, truth), "too_few" if n < MIN_ROWS else ""))
    return rows


# ---------------------------------------------------------------- support per unit of output

def cost_rows(register: pd.DataFrame, sel, output: str, n_boot: int = 499, seed: int = 0) -> list[dict]:
    """State support per unit of ``output`` (trainees, establishments_supported) of each area,
    counting only spent projects of the categories that produce it and report a value (as
    :func:`metrics.outputs_per_budget`)."""
    measure = {"trainees": "cost_per_trainee", "establishments_supported": "cost_per_establishment"}[output]
    cats = metrics.output_categories()[output]
    years = register.loc[register["year"].between(sel.start_year, sel.end_year)]
    used = years.loc[years["status"].isin(metrics.SPENT_STATUSES) & years["category"].isin(cats)
                     & years[output].notna()]
    rows = []
    for area in areas(sel):
        sub = used.loc[area_mask(used, area, sel.code_column, sel.boundaries)]
        if sub.empty or sub[output].sum() == 0:
            rows.append(_row(measure, area, n=len(sub), note="no_data"))
            continue
        value, low, high = ratio_interval(sub["state_support"], sub[output], n_boot, seed)
        rows.append(_row(measure, area, value, low, high, len(sub), note="too_few" if len(sub) < MIN_ROWS else ""))
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


def attainment_rows(plans: pd.DataFrame, sel, indicator: str = ATTAINMENT_INDICATOR, n_boot: int = 499,
                    seed: int = 0, truth: Mapping | None = None) -> list[dict]:
    """Σ achieved / Σ planned of ``indicator`` in each area; the interval resamples plan rows
    (province-years)."""
    chosen = plans.loc[(plans["indicator"] == indicator) & plans["year"].between(sel.start_year, sel.end_year)
                       & plans["planned"].notna() & plans["achieved"].notna()]
    rows = []
    for area in areas(sel):
        sub = chosen.loc[area_mask(chosen, area, sel.code_column, sel.boundaries)]
        if sub.empty:
            rows.append(_row("plan_attainment", area, note="no_data"))
            continue
        value, low, high = ratio_interval(sub["achieved"], sub["planned"], n_boot, seed)
        true = attainment_truth(sub, truth) if truth is not None else np.nan
        rows.append(_row("plan_attainment", area, value, low, high, len(sub), true,
                         "too_few" if len(sub) < MIN_ROWS else ""))
    return rows


# ---------------------------------------------------------------- productivity

def _survey_years(survey: pd.DataFrame, sel) -> pd.DataFrame:
    return survey.loc[survey["year"].between(sel.start_year, sel.end_year)]


def productivity_rows(survey: pd.DataFrame, register: pd.DataFrame, sel,
                      truth: Mapping | None = None) -> list[dict]:
    """Sun–Abraham ATT on log output per worker of each area's establishments, as a proportional
    change exp(b) − 1 (``value``, ``low``, ``high``); ``n`` = supported, ``n_comparison`` =
    never-supported establishments. Too few of either: no value, note ``too_few``."""
    panel = metrics.productivity_panel(_survey_years(survey, sel), register)
    return [_att_row(panel.loc[area_mask(panel, a, sel.code_column, sel.boundaries)], a, truth) for a in areas(sel)]


def _att_row(panel: pd.DataFrame, area: Area, truth: Mapping | None) -> dict:
    treated, comparison = models.unit_counts(panel)
    est, why = prod.brief_att(panel)
    if est is None:
        return _row("productivity_effect", area, n=treated, n_comparison=comparison, note=why)
    true = models.log_to_pct(prod.truth_for(panel, truth)["att"]) if truth is not None else np.nan
    pct = models.log_to_pct([est.coef, est.ci_low, est.ci_high])
    return _row("productivity_effect", area, *pct, n=treated, truth=true, n_comparison=comparison,
                note="few_clusters" if est.few_clusters else "")


def productivity_sample(survey: pd.DataFrame, register: pd.DataFrame, sel,
                        table: pd.DataFrame) -> tuple[pd.DataFrame, Area | None]:
    """The DiD sample behind the brief's productivity figure: that of the first area (province,
    region, country) whose effect in ``table`` (:func:`headlines` output) was estimated, and that
    area; an empty frame and None when no area has an estimate."""
    estimated = table.loc[(table["measure"] == "productivity_effect") & np.isfinite(table["value"].astype(float)),
                          "level"]
    chosen = next((a for a in areas(sel) if a.level in set(estimated)), None)
    panel = metrics.productivity_panel(_survey_years(survey, sel), register)
    if chosen is None:
        return panel.iloc[0:0], None
    return panel.loc[area_mask(panel, chosen, sel.code_column, sel.boundaries)].reset_index(drop=True), chosen


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


def growth_rows(growth: pd.DataFrame, sel, n_boot: int = 499, seed: int = 0,
                truth: Mapping | None = None) -> list[dict]:
    """Each area's spending intensity and average industrial growth over the period (descriptive,
    no interval), and the national TWFE link of growth to intensity per :data:`LINK_STEP` point (wild cluster
    bootstrap interval), which is an association."""
    rows = []
    for area in areas(sel):
        sub = growth.loc[area_mask(growth, area, pn.UNIT, sel.boundaries)]
        intensity, rate, n = _pooled(sub)
        note = "" if n else "no_data"
        rows += [_row("spending_intensity", area, intensity, n=n, note=note),
                 _row("industrial_growth", area, rate, n=n, note=note)]
    fit = pn.fit(growth, pn.GROWTH, pn.MAIN_X, pn.INTENSITY, n_boot, seed)
    true = pn.truth_coefficients(truth)[pn.INTENSITY] * LINK_STEP if truth is not None else np.nan
    country = areas(sel)[-1]
    note = "too_few" if fit["note"] == "too_few" else ("few_clusters" if fit["few_clusters"] else "")
    rows.append(_row("grdp_link", country, fit["coef"] * LINK_STEP, fit["wild_ci_low"] * LINK_STEP,
                     fit["wild_ci_high"] * LINK_STEP, fit["n_clusters"], true, note))
    return rows


# ---------------------------------------------------------------- all headlines

def headlines(frames: Mapping[str, pd.DataFrame], sel, n_boot: int = 499, seed: int = 0,
              truth: Mapping | None = None, by_province: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every headline of the brief, one row per measure × area (columns :data:`COLUMNS`).

    ``frames``: processed ``register``, ``survey``, ``plans`` and ``province_stats``; ``truth``:
    the SYNTHETIC sidecar (adds the true values); ``by_province``: :func:`cofunding_by_province`
    output, so the ranking figure and the table show the same interval.
    """
    missing = [n for n in ("register", "survey", "plans", "province_stats") if n not in frames]
    if missing:
        raise KeyError(f"headlines needs the processed tables {missing}; load them with tables.load(name)")
    register = frames["register"]
    rows = (cofunding_rows(register, sel, n_boot, seed, truth, by_province)
            + productivity_rows(frames["survey"], register, sel, truth)
            + cost_rows(register, sel, "trainees", n_boot, seed)
            + cost_rows(register, sel, "establishments_supported", n_boot, seed)
            + attainment_rows(frames["plans"], sel, n_boot=n_boot, seed=seed, truth=truth)
            + growth_rows(growth_frame(register, frames["province_stats"], sel), sel, n_boot, seed, truth))
    return pd.DataFrame(rows, columns=list(COLUMNS))


# ---------------------------------------------------------------- rows rejected in cleaning

def _codes_on(series: pd.Series, boundaries: str) -> pd.Series:
    """Raw province texts → codes on ``boundaries`` (legacy names are carried to their 2025 province)."""
    legacy, _ = provinces.normalize_series(series.astype("string"), provinces.LEGACY)
    if boundaries == provinces.LEGACY:
        return legacy
    new = legacy.map(lambda c: provinces.get(c).new_code if isinstance(c, str) else pd.NA).astype("string")
    direct, _ = provinces.normalize_series(series.astype("string"), provinces.NEW)
    return new.fillna(direct)


def rejected_counts(sel, processed_dir: Path | str | None = None) -> pd.DataFrame | None:
    """Rows rejected during cleaning (every year) per table: ``rows`` attributed to the selection
    (every row for ``"all"``) and ``unattributed`` (province text not recognised). None when the
    rejected files are missing."""
    folder = Path(processed_dir) / "rejected" if processed_dir else paths.rejected_dir()
    out = []
    for name in REJECTED_TABLES:
        path = folder / f"{name}_rejected.csv"
        if not path.exists():
            return None
        rejected = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        codes = _codes_on(rejected["province"], sel.boundaries) if len(rejected) else pd.Series(dtype="string")
        mine = len(rejected) if sel.province is None else int((codes == sel.province.code).sum())
        out.append({"table": name, "rows": mine, "unattributed": int(codes.isna().sum())})
    return pd.DataFrame(out)
