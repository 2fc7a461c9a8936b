"""The province policy brief (notebook 90): headline numbers with 95% intervals beside the region
and the country, a plain-language reading generated from them, and the data caveats.

Estimates come from :mod:`khuyencong.analysis.metrics`, :mod:`khuyencong.analysis.models` and
:mod:`khuyencong.analysis.growth`; this module only picks the areas (province, its region, the country),
attaches intervals and the SYNTHETIC truth, and turns the numbers into sentences whose templates
live in ``data/labels.csv`` (keys ``br_*``). Comparative words follow :func:`compare`: "higher" or
"lower" only when the 95% intervals do not overlap, otherwise "not clearly different".
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.core import i18n
from khuyencong.analysis import metrics
from khuyencong.analysis import models
from khuyencong import paths
from khuyencong.core import provinces
from khuyencong.ingest import published
from khuyencong.views import results
from khuyencong.analysis import growth as pn
from khuyencong.analysis import productivity as prod

LEVELS = ("province", "region", "country")
MEASURES = ("cofunding_ratio", "productivity_effect", "cost_per_trainee", "cost_per_establishment",
            "plan_attainment", "spending_intensity", "industrial_growth", "grdp_link")
UNITS = {"cofunding_ratio": "VND per VND", "productivity_effect": "fraction", "cost_per_trainee": "million VND",
         "cost_per_establishment": "million VND", "plan_attainment": "fraction",
         "spending_intensity": "percent", "industrial_growth": "percent per year",
         "grdp_link": "growth points per 0.01 point of intensity"}
LABEL_KEYS = {"cofunding_ratio": "cofunding_ratio", "productivity_effect": "br_m_productivity_effect",
              "cost_per_trainee": "cost_per_trainee", "cost_per_establishment": "cost_per_establishment",
              "plan_attainment": "br_m_plan_attainment", "spending_intensity": "gl_axis_intensity",
              "industrial_growth": "br_m_industrial_growth", "grdp_link": "br_m_link"}
COLUMNS = ("measure", "level", "area_code", "area", "value", "low", "high", "n", "n_comparison", "truth",
           "note", "unit")
MIN_ROWS = results.MIN_PROJECTS      # fewer projects / plan rows: shown, flagged as too few
ATTAINMENT_INDICATOR = "trainees"
LINK_STEP = 0.01  # the GRDP link per 0.01 point of intensity: the size of real year-to-year changes
SIMILAR_WITHOUT_INTERVALS = 0.05     # descriptive numbers within 5% of each other read as similar
DESCRIPTIVE = ("spending_intensity", "industrial_growth")  # totals of the period: no interval
REJECTED_TABLES = ("register", "survey", "plans", "province_stats")
REFERENCE_INDICATORS = ("state_support", "projects", "total_funding", "beneficiary_contribution",
                        "trainees_vocational", "trainees_management", "establishments_equipment",
                        "equipment_support", "industrial_grdp_growth", "productivity_gain")
REFERENCE_NATIONAL = ("state_support", "projects", "productivity_gain", "trainee_plan_attainment")
REFERENCE_DERIVED = ("cofunding_ratio", "state_support_per_project", "equipment_support_per_establishment")


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
    records = provinces.provinces_2025() if boundaries == "2025" else provinces.legacy_provinces(include_ha_tay=True)
    return {p.code: p.region_code for p in records}


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
    return {"measure": measure, "level": area.level, "area_code": area.code or "all", "area": area.label,
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
    if models.sample_size_problem(panel):
        return _row("productivity_effect", area, n=treated, n_comparison=comparison, note="too_few")
    try:
        est = models.sun_abraham_att(panel, window=prod.WINDOW, reference=prod.REFERENCE)
    except ValueError:
        return _row("productivity_effect", area, n=treated, n_comparison=comparison, note="not_estimable")
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


# ---------------------------------------------------------------- comparison rule

def compare(value, low, high, ref, ref_low=np.nan, ref_high=np.nan,
            tolerance: float = SIMILAR_WITHOUT_INTERVALS) -> str:
    """``"higher"``, ``"lower"``, ``"similar"`` or ``"unknown"`` (a value missing).

    With intervals the verdict needs separation: higher only when this interval lies wholly above
    the reference's (or above the reference value when it has no interval), and vice versa; any
    overlap reads "similar". Two descriptive numbers without intervals differ when they are more
    than ``tolerance`` (relative) apart.
    """
    value, low, high, ref, ref_low, ref_high = (float(v) for v in (value, low, high, ref, ref_low, ref_high))
    if not (np.isfinite(value) and np.isfinite(ref)):
        return "unknown"
    own = np.isfinite(low) and np.isfinite(high)
    other = np.isfinite(ref_low) and np.isfinite(ref_high)
    if not own and not other:
        if abs(value - ref) <= tolerance * max(abs(value), abs(ref)):
            return "similar"
        return "higher" if value > ref else "lower"
    lo, hi = (low, high) if own else (value, value)
    rlo, rhi = (ref_low, ref_high) if other else (ref, ref)
    if lo > rhi:
        return "higher"
    if hi < rlo:
        return "lower"
    return "similar"


# ---------------------------------------------------------------- formatting

def measure_label(measure: str, lang: str) -> str:
    """The indicator name of ``measure`` in ``lang``."""
    if measure == "grdp_link":
        return i18n.t(LABEL_KEYS[measure], lang, step=i18n.fmt_number(LINK_STEP, lang))
    return i18n.t(LABEL_KEYS[measure], lang)


def _significant(value: float, digits: int = 3) -> int:
    """Decimals that show ``digits`` significant digits (at most 6)."""
    return 3 if value == 0 else int(min(6, max(0, digits - 1 - np.floor(np.log10(abs(value))))))


def _decimals(value: float) -> int:
    return 2 if abs(value) < 10 else (1 if abs(value) < 1000 else 0)


def fmt_value(measure: str, value, lang: str, signed: bool = False) -> str:
    """One headline number as text in ``lang`` ('–' when missing)."""
    if value is None or not np.isfinite(value):
        return "–"
    value = float(value)
    if measure in ("productivity_effect", "plan_attainment"):
        text = i18n.fmt_pct(round(value, 4) + 0.0, lang, 1)
    elif measure == "spending_intensity":  # tiny shares of GRDP: three significant digits
        digits = _significant(value)
        text = i18n.fmt_number(round(value, digits) + 0.0, lang, digits) + "%"
    elif measure == "industrial_growth":
        text = i18n.fmt_number(round(value, 1) + 0.0, lang, 1) + "%"
    elif measure == "grdp_link":
        text = i18n.fmt_number(round(value, 3) + 0.0, lang, 3)
    else:
        digits = _decimals(value)
        text = i18n.fmt_number(round(value, digits) + 0.0, lang, digits)
    return ("+" + text) if signed and value > 0 else text


def _cell(row, lang: str, synthetic: bool) -> str:
    text = fmt_value(row.measure, row.value, lang)
    if np.isfinite(row.low) and np.isfinite(row.high):
        text += f" [{fmt_value(row.measure, row.low, lang)}; {fmt_value(row.measure, row.high, lang)}]"
    if synthetic and np.isfinite(row.truth):
        text += " · " + i18n.t("br_truth_cell", lang, value=fmt_value(row.measure, row.truth, lang))
    return text


def _note(row, lang: str) -> str:
    if row.note == "too_few":
        return i18n.t("br_note_too_few", lang, n=int(row.n))
    if row.note == "few_clusters":
        extra = row.n_comparison if np.isfinite(row.n_comparison) else 0
        return i18n.t("br_note_few_clusters", lang, n=int(row.n + extra))
    return i18n.t(f"br_note_{row.note}", lang) if row.note else ""


def headline_table(table: pd.DataFrame, lang: str = "vi", synthetic: bool = False) -> pd.DataFrame:
    """:func:`headlines` as a display table: one row per measure, one column per area ("value
    [95% interval]", plus the true value when ``synthetic``), and a note column."""
    names = list(dict.fromkeys(table["area"]))
    out = []
    for measure in [m for m in MEASURES if m in set(table["measure"])]:
        part = table.loc[table["measure"] == measure]
        line = {i18n.t("indicator", lang): measure_label(measure, lang)}
        line.update({name: "" for name in names})
        notes = []
        for row in part.itertuples():
            line[row.area] = _cell(row, lang, synthetic)
            if _note(row, lang):
                notes.append(f"{row.area}: {_note(row, lang)}")
        if measure in DESCRIPTIVE:
            notes.append(i18n.t("br_note_descriptive", lang))
        line[i18n.t("cf_col_note", lang)] = "; ".join(notes)
        out.append(line)
    return pd.DataFrame(out)


# ---------------------------------------------------------------- title and status box

def title(sel, lang: str | None = None) -> str:
    """Markdown title: the province (or the country), the boundaries and the period."""
    lang = lang or sel.lang
    sub = i18n.t("br_subtitle", lang, boundaries=i18n.t(f"boundaries_{sel.boundaries}", lang),
                 start=sel.start_year, end=sel.end_year)
    return f"# {i18n.t('br_title', lang, area=sel.label)}\n\n**{sub}**"


def status_box(data_status: str, lang: str = "vi") -> str:
    """A prominent HTML box stating whether the numbers are REAL or SYNTHETIC (invented demo data)."""
    synthetic = str(data_status).upper().startswith("SYNTHETIC")
    kind = "synthetic" if synthetic else "real"
    colour, background = ("#b00020", "#fdecee") if synthetic else ("#1b5e20", "#edf7ee")
    head, body = i18n.t(f"br_status_{kind}_title", lang), i18n.t(f"br_status_{kind}", lang)
    return (f'<div style="border:3px solid {colour};background:{background};padding:0.8em 1em;'
            f'margin:0.5em 0;font-size:1.05em"><strong style="color:{colour}">{escape(head)}</strong>'
            f"<br>{escape(body)}</div>")


# ---------------------------------------------------------------- the reading

def _name(row, lang: str) -> str:
    if row["level"] == "country":
        return i18n.t("br_area_country", lang)
    if row["level"] == "region":
        return i18n.t("br_area_region", lang, name=i18n.t(f"region.{row['area_code']}", lang))
    return str(row["area"])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rows(table: pd.DataFrame, measure: str) -> list[pd.Series]:
    part = table.loc[table["measure"] == measure]
    return [part.loc[part["level"] == level].iloc[0] for level in LEVELS if (part["level"] == level).any()]


def _comparison(main: pd.Series, others: Sequence[pd.Series], lang: str) -> str:
    phrases = []
    for ref in others:
        if not np.isfinite(ref["value"]):
            continue
        verdict = compare(main["value"], main["low"], main["high"], ref["value"], ref["low"], ref["high"])
        signed = ref["measure"] == "productivity_effect"
        phrases.append(i18n.t(f"br_cmp_{verdict}", lang, area=_name(ref, lang),
                              ref=fmt_value(ref["measure"], ref["value"], lang, signed)))
    return f" {i18n.t('br_and', lang)} ".join(phrases)


def _sentence(template: str, main: pd.Series, others: Sequence[pd.Series], lang: str) -> str:
    m = main["measure"]
    signed = m == "productivity_effect"
    fill = {"area": _name(main, lang), "value": fmt_value(m, main["value"], lang, signed)}
    if m not in DESCRIPTIVE:
        fill.update(low=fmt_value(m, main["low"], lang, signed), high=fmt_value(m, main["high"], lang, signed))
    text = i18n.t(template, lang, **fill)
    comparison = _comparison(main, others, lang)
    return _capital(text) + (f", {comparison}." if comparison else ".")


def _first_with_value(rows: Sequence[pd.Series]) -> int | None:
    return next((i for i, r in enumerate(rows) if np.isfinite(r["value"])), None)


def _missing(measure: str, rows: Sequence[pd.Series], lang: str) -> str:
    return i18n.t("br_read_missing", lang, what=measure_label(measure, lang),
                  area=_name(rows[0], lang) if rows else i18n.t("br_area_country", lang))


def _interval_sentence(measure: str, template: str, table: pd.DataFrame, lang: str) -> str:
    rows = _rows(table, measure)
    if not rows or not np.isfinite(rows[0]["value"]):
        return _missing(measure, rows, lang)
    return _sentence(template, rows[0], rows[1:], lang)


def _fallback(first: pd.Series, used: pd.Series, lang: str) -> str:
    """Why the province's own effect is not shown, and whose is shown instead."""
    if first["note"] == "too_few":
        comp = int(first["n_comparison"]) if np.isfinite(first["n_comparison"]) else 0
        text = i18n.t("br_read_fallback", lang, area=_name(first, lang), treated=int(first["n"]), untreated=comp,
                      min=models.MIN_TREATED_UNITS, fallback=_name(used, lang))
    else:
        text = i18n.t("br_read_fallback_not_estimable", lang, area=_name(first, lang), fallback=_name(used, lang))
    return _capital(text)


def _productivity(table: pd.DataFrame, lang: str) -> list[str]:
    rows = _rows(table, "productivity_effect")
    used = _first_with_value(rows)
    if used is None:
        return [_missing("productivity_effect", rows, lang)]
    out = []
    if used > 0:
        out.append(_fallback(rows[0], rows[used], lang))
    main = rows[used]
    out.append(_sentence("br_read_productivity", main, rows[used + 1:], lang))
    if np.isfinite(main["low"]) and main["low"] <= 0 <= main["high"]:
        out.append(i18n.t("br_read_zero_inside", lang))
    return out


def _intensity(table: pd.DataFrame, lang: str) -> list[str]:
    out = []
    for measure, template in (("spending_intensity", "br_read_intensity"), ("industrial_growth", "br_read_growth")):
        out.append(_interval_sentence(measure, template, table, lang))
    return out


def _link(table: pd.DataFrame, lang: str) -> list[str]:
    rows = _rows(table, "grdp_link")
    if not rows or not np.isfinite(rows[0]["value"]):
        return [_missing("grdp_link", rows, lang), i18n.t("br_read_association", lang)]
    r = rows[0]
    if np.isfinite(r["low"]) and r["low"] > 0:
        key, value = "br_read_link_up", r["value"]
    elif np.isfinite(r["high"]) and r["high"] < 0:
        key, value = "br_read_link_down", -r["value"]
    else:
        key, value = "br_read_link_none", r["value"]
    fmt = lambda v: fmt_value("grdp_link", v, lang)  # noqa: E731
    return [i18n.t(key, lang, value=fmt(value), low=fmt(r["low"]), high=fmt(r["high"]),
                   step=i18n.fmt_number(LINK_STEP, lang)),
            i18n.t("br_read_association", lang)]


def reading(table: pd.DataFrame, lang: str = "vi", data_status: str = "REAL") -> list[str]:
    """Plain-language sentences from :func:`headlines` output. SYNTHETIC data opens with a
    sentence saying the numbers are invented; the GRDP link is always called an association."""
    i18n.check_lang(lang)
    first = table.iloc[0] if len(table) else None
    out = []
    if str(data_status).upper().startswith("SYNTHETIC"):
        area = _name(first, lang) if first is not None else i18n.t("br_area_country", lang)
        out.append(f"**SYNTHETIC** — {i18n.t('br_read_synthetic', lang, area=area)}")
    out.append(_interval_sentence("cofunding_ratio", "br_read_cofunding", table, lang))
    out += _productivity(table, lang)
    out.append(_interval_sentence("cost_per_trainee", "br_read_cost_trainee", table, lang))
    out.append(_interval_sentence("cost_per_establishment", "br_read_cost_establishment", table, lang))
    out.append(_interval_sentence("plan_attainment", "br_read_attainment", table, lang))
    out += _intensity(table, lang)
    out += _link(table, lang)
    return out


def as_markdown(lines: Sequence[str]) -> str:
    """Sentences as a markdown bullet list."""
    return "\n".join(f"- {line}" for line in lines)


# ---------------------------------------------------------------- caveats

def _codes_on(series: pd.Series, boundaries: str) -> pd.Series:
    """Raw province texts → codes on ``boundaries`` (legacy names are carried to their 2025 province)."""
    legacy, _ = provinces.normalize_series(series.astype("string"), "legacy")
    if boundaries == "legacy":
        return legacy
    new = legacy.map(lambda c: provinces.get(c).new_code if isinstance(c, str) else pd.NA).astype("string")
    direct, _ = provinces.normalize_series(series.astype("string"), "2025")
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


def _boundary_lines(sel, lang: str) -> list[str]:
    lines = [i18n.t(f"boundaries_{sel.boundaries}", lang) + "."]
    if sel.note:
        lines.append(sel.note)
    p = sel.province
    if p is None:
        return lines
    if sel.boundaries == "2025":
        parts = provinces.merged_from(p.code)
        if len(parts) > 1:
            lines.append(i18n.t("br_cav_components", lang, area=p.name, components=", ".join(x.name for x in parts)))
    elif p.new_code and len(provinces.merged_from(p.new_code)) > 1:
        lines.append(i18n.t("br_cav_successor", lang, area=p.name, new=provinces.get(p.new_code, "2025").name))
    return lines


def _rejected_line(counts: pd.DataFrame | None, sel, lang: str) -> str:
    if counts is None:
        return i18n.t("br_cav_rejected_missing", lang)
    listed = ", ".join(f"{i18n.t('br_table_' + r.table, lang)} {r.rows}" for r in counts.itertuples())
    if sel.province is None:
        return i18n.t("br_cav_rejected_all", lang, counts=listed, unknown=int(counts["unattributed"].sum()))
    return i18n.t("br_cav_rejected", lang, area=sel.label, counts=listed, unknown=int(counts["unattributed"].sum()))


def _sample_lines(table: pd.DataFrame, lang: str) -> list[str]:
    lines = []
    for row in table.itertuples():
        what = measure_label(row.measure, lang)
        area = _name(table.loc[row.Index], lang)
        if row.note == "too_few":
            unit = i18n.t(f"br_unit_{row.measure}", lang)
            lines.append(_capital(i18n.t("br_cav_few", lang, what=what, area=area, n=int(row.n), unit=unit)))
        elif row.note == "few_clusters":
            lines.append(_capital(i18n.t("br_cav_few_clusters", lang, what=what, area=area, min=models.FEW_CLUSTERS)))
    return lines


def caveats(sel, table: pd.DataFrame, counts: pd.DataFrame | None, lang: str | None = None,
            n_boot: int = 499, seed: int = 0, ceilings_active: bool | None = None) -> list[str]:
    """Data caveats: boundaries and mergers, rejected rows, small samples, the ceiling check, methods."""
    lang = lang or sel.lang
    lines = _boundary_lines(sel, lang) + [_rejected_line(counts, sel, lang)] + _sample_lines(table, lang)
    active = (not metrics.load_ceilings().empty) if ceilings_active is None else ceilings_active
    if not active:
        lines.append(i18n.t("br_cav_ceilings", lang))
    lines.append(i18n.t("br_cav_methods", lang, n_boot=n_boot, seed=seed))
    return lines


def references(figures: pd.DataFrame, sel, lang: str | None = None) -> pd.DataFrame:
    """Published figures for the selection (main indicators, as printed) and the figures derived
    from them, each with its source: real reference points, not estimates of the same quantity."""
    lang = lang or sel.lang
    chosen = published.for_selection(figures, sel)
    shortlist = REFERENCE_INDICATORS if sel.province is not None else REFERENCE_NATIONAL
    printed = chosen.loc[chosen["indicator"].isin(shortlist)]
    derived = published.for_selection(published.derived_figures(figures), sel)
    rows = results.published_rows(figures, derived, lang, indicators=list(REFERENCE_DERIVED),
                                  ids=list(printed["figure_id"]))
    out = pd.DataFrame(rows, columns=["what", "area", "period", "value", "interval", "source"])
    names = {"what": "col.indicator", "area": "col.area", "period": "col.period", "value": "col.value",
             "source": "col.source"}
    return out.drop(columns="interval").rename(columns={k: i18n.t(v, lang) for k, v in names.items()})
