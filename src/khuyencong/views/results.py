"""Result tables of the co-funding (10) and outputs (40) notebooks, on the chosen boundaries.

Computations come from :mod:`khuyencong.analysis.metrics`; this module names provinces and regions on the
chosen boundaries, puts estimates beside the SYNTHETIC truth and published reference figures, and
formats tables for display in Vietnamese or English (numbers as text, so stored outputs are stable).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from khuyencong.core import i18n
from khuyencong.analysis import metrics
from khuyencong.core import provinces
from khuyencong.ingest import published
from khuyencong.ingest.export import Stamp, export_table

MIN_PROJECTS = 5  # fewer projects than this: estimates and bootstrap intervals are not trustworthy
OUTPUT_LABELS = {"trainees": "cost_per_trainee", "establishments_supported": "cost_per_establishment",
                 "demonstration_models": "cost_per_model", "typical_products": "cost_per_product",
                 "machines": "cost_per_machine"}
NORTHERN_REGIONS = ("RRD", "NMM")
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- provinces on the chosen boundaries

def _lookup(codes: pd.Series, boundaries: str, field: str) -> pd.Series:
    records = {p.code: p for p in provinces.records(boundaries, include_ha_tay=True)}
    unknown = sorted(set(codes.astype(str)) - set(records))
    if unknown:
        raise ValueError(f"province codes {unknown[:5]} are not {boundaries} provinces; "
                         "use province_code_2025 with boundaries='2025' and province_code with 'legacy'")
    return codes.astype(str).map(lambda c: getattr(records[c], field)).astype("string")


def with_names(df: pd.DataFrame, code_column: str, boundaries: str, region: bool = False) -> pd.DataFrame:
    """Add ``province`` (name on ``boundaries``) and, with ``region``, replace ``region_code`` by the
    region of that province (a 2025 province may gather legacy provinces from two regions)."""
    out = df.assign(province=_lookup(df[code_column], boundaries, "name"))
    if region:
        out["region_code"] = _lookup(df[code_column], boundaries, "region_code")
    return out


# ---------------------------------------------------------------- formatting helpers

def _num(x, lang: str, decimals: int = 2) -> str:
    return "–" if x is None or pd.isna(x) else i18n.fmt_number(round(float(x), decimals) + 0.0, lang, decimals)


def _pct(x, lang: str) -> str:
    return "–" if x is None or pd.isna(x) else i18n.fmt_pct(round(float(x), 4) + 0.0, lang, 1)


def _interval(low, high, fmt) -> str:
    return "–" if pd.isna(low) or pd.isna(high) else f"[{fmt(low)}; {fmt(high)}]"


def _few(projects: pd.Series, lang: str, minimum: int = MIN_PROJECTS) -> list[str]:
    return [i18n.t("nb_few_short", lang) if n < minimum else "" for n in projects]


def too_few_message(n_projects: int, lang: str, minimum: int = MIN_PROJECTS) -> str | None:
    """A "too few observations" line when the selection has fewer than ``minimum`` projects."""
    return i18n.t("nb_too_few", lang, n=int(n_projects)) if n_projects < minimum else None


# ---------------------------------------------------------------- co-funding

def cofunding_truth(register: pd.DataFrame, expected: pd.Series, by) -> pd.DataFrame:
    """True co-funding ratio per group: Σ expected contribution / Σ state support (same projects)."""
    truth = metrics.cofunding(register.assign(beneficiary_contribution=expected), by=by)
    return truth.rename(columns={"cofunding_ratio": "true_ratio", "state_share": "true_share"})


def cofunding_table(est: pd.DataFrame, lang: str, label_col: str | None = None,
                    label_prefix: str | None = None, truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`metrics.bootstrap_cofunding` output as a display table (truth column when given)."""
    data = est
    if truth is not None and label_col:
        data = est.merge(truth[[label_col, "true_ratio"]], on=label_col, how="left", validate="one_to_one")
    elif truth is not None:
        data = est.assign(true_ratio=truth["true_ratio"].iat[0])
    num = lambda v: _num(v, lang)  # noqa: E731
    pct = lambda v: _pct(v, lang)  # noqa: E731
    out = {}
    if label_col:
        values = data[label_col].astype(str)
        out[i18n.t(label_prefix or label_col, lang)] = [i18n.t(f"{label_prefix}.{v}", lang) if label_prefix else v
                                                         for v in values]
    out[i18n.t("projects", lang)] = data["projects"].astype(int).tolist()
    out[i18n.t("state_support", lang)] = [_num(v, lang, 1) for v in data["state_support"]]
    out[i18n.t("beneficiary_contribution", lang)] = [_num(v, lang, 1) for v in data["beneficiary_contribution"]]
    out[i18n.t("cf_col_ratio", lang)] = [num(v) for v in data["cofunding_ratio"]]
    out[i18n.t("ci_95", lang)] = [_interval(a, b, num) for a, b in zip(data["ratio_low"], data["ratio_high"])]
    if truth is not None:
        out[i18n.t("cf_col_true_ratio", lang)] = [num(v) for v in data["true_ratio"]]
    out[i18n.t("cf_col_share", lang)] = [pct(v) for v in data["state_share"]]
    out[i18n.t("cf_col_share_ci", lang)] = [_interval(a, b, pct) for a, b in zip(data["share_low"], data["share_high"])]
    out[i18n.t("cf_col_note", lang)] = _few(data["projects"], lang)
    return pd.DataFrame(out)


def ranking_frame(est: pd.DataFrame, code_column: str, boundaries: str) -> tuple[pd.DataFrame, list[str]]:
    """Provinces with a finite co-funding ratio, named, ready for :func:`plots.ranked_intervals`.

    A percentile interval that leaves out its own point estimate (tiny or very skewed samples) is
    not drawn; the names of those provinces are returned so the notebook can say so.
    """
    data = with_names(est, code_column, boundaries)
    data = data.loc[np.isfinite(data["cofunding_ratio"].astype(float))].copy()
    outside = (data["ratio_low"] > data["cofunding_ratio"]) | (data["ratio_high"] < data["cofunding_ratio"])
    data.loc[outside, ["ratio_low", "ratio_high"]] = np.nan
    return data.reset_index(drop=True), data.loc[outside, "province"].tolist()


def rank_table(ranks: pd.DataFrame, code_column: str, boundaries: str, lang: str) -> pd.DataFrame:
    """:func:`metrics.rank_with_intervals` output with province names, as a display table."""
    data = with_names(ranks, code_column, boundaries)
    return pd.DataFrame({
        i18n.t("cf_col_rank", lang): data["rank"].astype(int).tolist(),
        i18n.t("province", lang): data["province"].tolist(),
        i18n.t("projects", lang): data["projects"].astype(int).tolist(),
        i18n.t("cf_col_ratio", lang): [_num(v, lang) for v in data["cofunding_ratio"]],
        i18n.t("cf_col_rank_ci", lang): [_interval(a, b, lambda v: str(int(v))) for a, b in
                                         zip(data["rank_low"], data["rank_high"])],
    })


def _ref_row(what: str, area: str, period: str, value: str, interval: str, source: str) -> dict:
    return {"what": what, "area": area, "period": period, "value": value, "interval": interval, "source": source}


def cofunding_reference(est: pd.DataFrame, est_all: pd.DataFrame, area: str, period: str, lang: str,
                        figures: pd.DataFrame, derived: pd.DataFrame, truth: dict | None = None,
                        true_ratio: float | None = None) -> pd.DataFrame:
    """The selection's estimate beside the generator's truth (SYNTHETIC data) and the published
    Sóc Trăng ratio (a real reference point, not an estimate of the same quantity)."""
    num = lambda v: _num(v, lang)  # noqa: E731
    register = data_source("register", truth is not None, lang)
    rows = [_ref_row(i18n.t(key, lang), area, period, num(e["cofunding_ratio"].iat[0]),
                     _interval(e["ratio_low"].iat[0], e["ratio_high"].iat[0], num), register)
            for key, e in (("cf_row_estimate", est), ("cf_row_estimate_all", est_all))]
    if true_ratio is not None:
        rows.append(_ref_row(i18n.t("cf_row_truth_model", lang), area, period, num(true_ratio), "",
                             i18n.t("nb_truth_source", lang)))
    if truth is not None:
        sample = truth["truth"]["register"]["sample_aggregate_cofunding_ratio"]
        years = f"{truth['params']['year_first']}–{truth['params']['year_last']}"
        rows.append(_ref_row(i18n.t("cf_row_truth_sample", lang), i18n.t("country", lang), years, num(sample), "",
                             i18n.t("nb_truth_source", lang)))
    rows += published_rows(figures, derived, lang, indicators=["cofunding_ratio"])
    return _reference_frame(rows, lang)


def data_source(table: str, synthetic: bool, lang: str) -> str:
    """Source line of figures drawn from ``table`` (``register`` or ``plans``); demo data say so."""
    return i18n.t(f"nb_demo_{table}" if synthetic else f"nb_{table}", lang)


def published_rows(figures: pd.DataFrame, derived: pd.DataFrame, lang: str, indicators: Sequence[str] = (),
                   ids: Sequence[str] = ()) -> list[dict]:
    """Reference rows: derived figures with these ``indicators`` (source = the article of their
    inputs) and printed figures ``ids`` (as printed, with their source)."""
    sources = {r.figure_id: r.source for r in figures.itertuples()}
    label = "indicator_vi" if lang == "vi" else "indicator_en"
    rows = []
    for r in derived.loc[derived["indicator"].isin(list(indicators))].itertuples():
        inputs = r.inputs.split(";")
        origin = " | ".join(dict.fromkeys(sources[i] for i in inputs if i in sources))
        rows.append(_ref_row(i18n.t(f"derived.{r.indicator}", lang) + f" ({i18n.t('nb_published', lang)})", r.area,
                             published.period(r.period_start, r.period_end), _num(r.value, lang), "",
                             f"{origin}; {i18n.t('nb_derived_from', lang, inputs=', '.join(inputs))}"))
    for r in figures.loc[figures["figure_id"].isin(list(ids))].itertuples():
        rows.append(_ref_row(f"{getattr(r, label)} ({i18n.t('nb_published', lang)})", r.area,
                             published.period(r.period_start, r.period_end), r.figure, "", r.source))
    return rows



def _reference_frame(rows: list[dict], lang: str) -> pd.DataFrame:
    names = {"what": "cf_col_what", "area": "col.area", "period": "col.period", "value": "col.value",
             "interval": "ci_95", "source": "col.source"}
    return pd.DataFrame(rows, columns=list(names)).rename(columns={k: i18n.t(v, lang) for k, v in names.items()})


def ceiling_summary(flagged: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Projects over a ceiling per category × funding source (from :func:`ceilings.ceiling_breaches`)."""
    checked = flagged.loc[flagged["has_ceiling"]]
    table = checked.groupby(["category", "funding_source"], sort=True).agg(
        checked=("breach", "size"), over_share=("breach_share", "sum"), over_amount=("breach_amount", "sum"),
        flagged=("breach", "sum")).reset_index()
    return pd.DataFrame({
        i18n.t("category", lang): [i18n.t(f"category.{c}", lang) for c in table["category"]],
        i18n.t("funding_source", lang): [i18n.t(f"funding_source.{c}", lang) for c in table["funding_source"]],
        i18n.t("projects", lang): table["checked"].astype(int).tolist(),
        i18n.t("cf_col_over_share", lang): table["over_share"].astype(int).tolist(),
        i18n.t("cf_col_over_amount", lang): table["over_amount"].astype(int).tolist(),
    })


# ---------------------------------------------------------------- outputs per budget and plans

def _levels(compared: pd.DataFrame, code: str, key: str, value: str, code_column: str,
            names: tuple[str, str, str]) -> pd.DataFrame:
    row = compared.loc[compared[code_column].astype(str) == str(code)]
    parts = [row[[key]].assign(area=name, value=row[col].to_numpy())
             for name, col in zip(names, (value, "region_value", "country_value"))]
    return pd.concat(parts, ignore_index=True)


def selection_levels(compared: pd.DataFrame, province: provinces.Province, key: str, value: str,
                     code_column: str, lang: str) -> pd.DataFrame:
    """Long frame ``key``, ``area`` (province, its region, country), ``value`` for one province out of
    :func:`metrics.versus_region` output; empty when the province has no row."""
    names = (province.name, i18n.t(f"region.{province.region_code}", lang), i18n.t("country", lang))
    return _levels(compared, province.code, key, value, code_column, names)


def region_levels(by_region: pd.DataFrame, country: pd.DataFrame, key: str, value: str, lang: str) -> pd.DataFrame:
    """Long frame ``key``, ``area`` (each region, then the country), ``value`` from per-region and
    national tables of the same measure."""
    regions = by_region.assign(area=[i18n.t(f"region.{r}", lang) for r in by_region["region_code"]])
    both = pd.concat([regions, country.assign(area=i18n.t("country", lang))], ignore_index=True)
    return both[[key, "area", value]].rename(columns={value: "value"})


def relative_to_country(levels: pd.DataFrame, key: str, country_label: str) -> pd.DataFrame:
    """Rows other than the country's with ``diff_pct`` = 100 × (value / country value − 1), the
    percent difference from the country for the same ``key``; rows without a value are dropped."""
    country = levels.loc[levels["area"] == country_label].set_index(key)["value"]
    ratio = levels["value"].astype(float) / levels[key].map(country).astype(float)
    out = levels.assign(diff_pct=100 * (ratio - 1)).loc[levels["area"] != country_label]
    return out.loc[np.isfinite(out["diff_pct"].astype(float))].reset_index(drop=True)


def levels_table(levels: pd.DataFrame, key: str, lang: str, label_of, decimals: int = 2,
                 as_pct: bool = False) -> pd.DataFrame:
    """Wide display table: one row per ``key`` (labelled by ``label_of``), one column per area."""
    wide = levels.pivot(index=key, columns="area", values="value")[list(dict.fromkeys(levels["area"]))]
    fmt = (lambda v: _pct(v, lang)) if as_pct else (lambda v: _num(v, lang, decimals))
    out = wide.apply(lambda col: col.map(fmt))
    out.index = [label_of(k) for k in out.index]
    out.index.name = i18n.t("indicator", lang)
    out.columns.name = None
    return out.reset_index()


def output_label(output: str, lang: str, short: bool = False) -> str:
    """"State support per trainee (million VND)" etc. for an output column ("Per trainee" when ``short``)."""
    if output not in OUTPUT_LABELS:
        raise KeyError(f"no label for output {output!r}; known: {sorted(OUTPUT_LABELS)}")
    return i18n.t(f"op_per_{output}" if short else OUTPUT_LABELS[output], lang)


def outputs_table(per: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:func:`metrics.outputs_per_budget` (one group) as a display table."""
    return pd.DataFrame({
        i18n.t("indicator", lang): [output_label(o, lang) for o in per["output"]],
        i18n.t("projects", lang): per["projects"].astype(int).tolist(),
        i18n.t("op_col_missing", lang): per["projects_missing_output"].astype(int).tolist(),
        i18n.t("state_support", lang): [_num(v, lang, 1) for v in per["state_support"]],
        i18n.t("op_col_units", lang): [_num(v, lang, 0) for v in per["output_total"]],
        i18n.t("op_col_per_unit", lang): [_num(v, lang) for v in per["support_per_unit"]],
        i18n.t("cf_col_note", lang): _few(per["projects"], lang),
    })


def outputs_reference(register: pd.DataFrame, plans: pd.DataFrame, figures: pd.DataFrame,
                      derived: pd.DataFrame, lang: str, truth: dict | None = None) -> pd.DataFrame:
    """Published reference points beside the same quantity estimated from the register and plans:
    Bắc Giang's state support per project (2014–2020) and the northern provinces' 2016 attainment."""
    rows = [r for r in published_rows(figures, derived, lang, indicators=["state_support_per_project"])
            if r["area"] == "Bắc Giang"]
    bg = register.loc[(register["province_code"].astype(str) == "24") & register["year"].between(2014, 2020)]
    if len(bg):
        per = metrics.cofunding(bg, by=None)
        rows.append(_ref_row(i18n.t("op_row_per_project", lang), "Bắc Giang", "2014–2020",
                             _num(per["state_support"].iat[0] / per["projects"].iat[0], lang), "",
                             data_source("register", truth is not None, lang)))
    rows += published_rows(figures, derived, lang, ids=["NORTH-2016-trainee_plan_attainment",
                                                        "NORTH-2016-consulting_revenue_plan_attainment"])
    north = plans.loc[plans["region_code"].isin(NORTHERN_REGIONS) & (plans["year"] == 2016)
                      & (plans["indicator"] == "trainees")]
    if len(north):
        att = metrics.plan_attainment(north, by=None)["attainment"].iat[0]
        rows.append(_ref_row(i18n.t("op_row_north_attainment", lang), i18n.t("op_north", lang), "2016",
                             _pct(att, lang), "", data_source("plans", truth is not None, lang)))
    if truth is not None:
        mean = truth["truth"]["plans"]["northern_trainee_attainment_mean"]
        rows.append(_ref_row(i18n.t("op_row_north_truth", lang), i18n.t("op_north", lang), "",
                             _pct(mean, lang), "", i18n.t("nb_truth_source", lang)))
    return _reference_frame(rows, lang).drop(columns=i18n.t("ci_95", lang))


# ---------------------------------------------------------------- saving

def _table_label(name: str, lang: str) -> str:
    key = f"br_table_{name}"
    return i18n.t(key, lang) if key in i18n.labels() else name


def stamp(about, source: str | None = None) -> Stamp:
    """The data status, source and language saved tables carry. ``about``: the notebook's
    :class:`~khuyencong.views.context.Context` (its status, language and the processed tables it
    read make the stamp; ``source`` replaces the list of tables) or a ready :class:`Stamp`."""
    if isinstance(about, Stamp):
        return about
    lang = about.sel.lang
    if source is None:
        source = "data/processed: " + "; ".join(_table_label(name, lang) for name in about.frames)
    return Stamp(about.status, source, lang)


def save(output_dir: str | Path | None, stem: str, fig=None, table: pd.DataFrame | None = None,
         about=None) -> list[Path]:
    """Save ``fig`` (PNG + SVG) and ``table`` (CSV UTF-8 BOM + XLSX) as ``output_dir/stem.*``;
    nothing when ``output_dir`` is None. ``about`` (the notebook's Context, or a :class:`Stamp`)
    gives the table its data status, source and language (:func:`stamp`); every published table
    needs it."""
    if output_dir is None:
        return []
    from khuyencong.views.plots import save_figure

    base = Path(output_dir)
    base.mkdir(parents=True, exist_ok=True)
    written = list(save_figure(fig, base / stem)) if fig is not None else []
    if table is not None:
        if about is None:
            log.warning("%s: table saved without its data status; pass about=ctx to results.save", stem)
        tag = None if about is None else stamp(about)
        written += [export_table(table, base / f"{stem}.{ext}", stamp=tag) for ext in ("csv", "xlsx")]
    return written
