"""Result tables of the productivity notebook (20): output per worker of supported establishments.

Estimates come from :mod:`khuyencong.analysis.metrics` (before/after gains, DiD sample) and
:mod:`khuyencong.analysis.models` (Sun-Abraham ATT, TWFE DiD, event study). This module puts them beside the
SYNTHETIC truth, the published claim (indicator ``productivity_gain``) and the literature reference
points of ``data/reference_points.csv``, and formats the tables in Vietnamese or English.
Effects are estimated in log points and shown as percent changes, exp(b) - 1.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from khuyencong.synthetic import truth as synthetic_truth
from khuyencong.core import i18n
from khuyencong.analysis import metrics
from khuyencong.analysis import models
from khuyencong.errors import InputError
from khuyencong.paths import PACKAGE_DATA

REFERENCE_FILE = "reference_points.csv"
REFERENCE_COLUMNS = ("ref_id", "topic", "low_pct", "high_pct", "horizon_vi", "horizon_en", "population_vi",
                     "population_en", "design_vi", "design_en", "citation", "doi", "url")
CLAIM_INDICATOR = "productivity_gain"
WINDOW = (-4, 4)
REFERENCE = -1


def brief_att(panel: pd.DataFrame):
    """The productivity effect the briefs and the index show: the Sun–Abraham ATT over :data:`WINDOW`.

    Returns ``(estimate, "")``, or ``(None, why)`` with ``why`` "too_few" (sample too small) or
    "not_estimable" (the model cannot be fitted on this sample).
    """
    if models.sample_size_problem(panel):
        return None, "too_few"
    try:
        return models.sun_abraham_att(panel, window=WINDOW, reference=REFERENCE), ""
    except ValueError:
        return None, "not_estimable"


# ---------------------------------------------------------------- inputs

def reference_points(topic: str | None = "productivity") -> pd.DataFrame:
    """Published reference points (percent) with citations; ``topic=None`` gives every row."""
    path = PACKAGE_DATA / REFERENCE_FILE
    table = pd.read_csv(path, dtype={"doi": "string", "url": "string"}, keep_default_na=False,
                        na_values={"low_pct": [""], "high_pct": [""]})
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{REFERENCE_FILE} lacks column(s) {missing}; expected {list(REFERENCE_COLUMNS)}")
    bad = table["low_pct"].isna() | table["high_pct"].isna() | (table["low_pct"] > table["high_pct"])
    if bad.any():
        raise InputError(f"{REFERENCE_FILE}: rows {table.loc[bad, 'ref_id'].tolist()} need numbers "
                         "low_pct <= high_pct (a single value: write it in both)")
    if table["ref_id"].duplicated().any():
        raise InputError(f"{REFERENCE_FILE}: ref_id repeats: {table.loc[table['ref_id'].duplicated(), 'ref_id'].tolist()}")
    return table if topic is None else table.loc[table["topic"] == topic].reset_index(drop=True)


def published_claims(figures: pd.DataFrame, indicator: str = CLAIM_INDICATOR) -> pd.DataFrame:
    """Printed figures of ``indicator`` (percent), e.g. the 15–40% productivity gain claimed in Sóc Trăng."""
    rows = figures.loc[figures["indicator"] == indicator]
    if not rows.empty and set(rows["unit"]) != {"percent"}:
        raise InputError(f"published {indicator} figures must be in percent, found units {sorted(set(rows['unit']))}")
    return rows.reset_index(drop=True)


def claimed_band(claims: pd.DataFrame, default: tuple[float, float] = (0.15, 0.40)) -> tuple[float, float]:
    """(low, high) as fractions from the published claim; ``default`` when there is none, and an
    error when several claims disagree (say which one to use)."""
    if claims.empty:
        return default
    bands = {(float(lo) / 100, float(hi) / 100) for lo, hi in zip(claims["low"], claims["high"])}
    if len(bands) > 1:
        raise InputError(f"published claims give different bands {sorted(bands)}; pass the one to test")
    return bands.pop()


def selected_panel(survey: pd.DataFrame, register: pd.DataFrame, sel) -> pd.DataFrame:
    """DiD sample of the selection: survey rows in the province and years of ``sel``; the first
    support comes from the whole register (a support before ``start_year`` still counts)."""
    return metrics.productivity_panel(sel.filter(survey), register)


def selected_gains(survey: pd.DataFrame, register: pd.DataFrame, sel) -> pd.DataFrame:
    """Before/after gains (:func:`metrics.supported_gains`) of the selection's establishments."""
    return metrics.supported_gains(sel.filter(survey), register)


def sample_counts(panel: pd.DataFrame) -> dict:
    """Supported and comparison establishments and establishment-years with an outcome."""
    treated, comparison = models.unit_counts(panel)
    rows = int(np.isfinite(panel["log_productivity"].to_numpy(dtype=float)).sum())
    return {"treated": treated, "comparison": comparison, "obs": rows}


# ---------------------------------------------------------------- SYNTHETIC truth

def truth_for(panel: pd.DataFrame, truth: dict, window: tuple[int, int] = WINDOW) -> dict:
    """True values implied for this sample: ``att`` (log points), ``event_path`` and ``by_category``
    (frames), weighting the sidecar's effects by the sample's treated rows with an outcome."""
    ok = np.isfinite(panel["log_productivity"].to_numpy(dtype=float)) & panel["event_time"].notna().to_numpy()
    rows = panel.loc[ok]
    post = rows["event_time"] >= 0
    return {
        "att": synthetic_truth.true_att(truth, rows["event_time"]) if post.any() else np.nan,
        "event_path": synthetic_truth.true_event_path(truth, rows["event_time"], window),
        "by_category": synthetic_truth.true_att_by_category(truth, rows["support_category"], rows["event_time"]),
    }


# ---------------------------------------------------------------- numeric result tables (exported)

def estimates_with_truth(est: pd.DataFrame, true_att: float | None = None) -> pd.DataFrame:
    """:func:`models.did_estimates` plus ``true_coef`` and ``true_pct`` (NaN without a truth)."""
    out = est.copy()
    value = np.nan if true_att is None else float(true_att)
    out["true_coef"] = value
    out["true_pct"] = models.log_to_pct(value)
    return out


def event_with_truth(es: pd.DataFrame, true_path: pd.DataFrame | None = None) -> pd.DataFrame:
    """Event-study coefficients with ``true_effect`` by event time (NaN without a truth)."""
    out = es[["event_time", "coef", "se", "ci_low", "ci_high", "n_treated_obs"]].copy()
    if true_path is None:
        out["true_effect"] = np.nan
        return out
    return out.merge(true_path[["event_time", "true_effect"]], on="event_time", how="left")


def categories_with_truth(by_cat: pd.DataFrame, true_cat: pd.DataFrame | None = None,
                          group: str = "support_category") -> pd.DataFrame:
    """Per-category estimates with ``true_coef``/``true_pct`` (NaN without a truth)."""
    out = by_cat.copy()
    if true_cat is None:
        out["true_coef"] = np.nan
    else:
        out = out.merge(true_cat[["category", "true_att"]].rename(columns={"category": group, "true_att": "true_coef"}),
                        on=group, how="left")
    out["true_pct"] = models.log_to_pct(out["true_coef"].to_numpy(dtype=float))
    return out


def event_table(panel: pd.DataFrame, true_path: pd.DataFrame | None = None,
                window: tuple[int, int] = WINDOW) -> tuple[pd.DataFrame | None, str]:
    """(Sun-Abraham event study with truth, '') or (None, reason) when it cannot be fitted."""
    try:
        es = models.event_study(panel, window=window, reference=REFERENCE)
    except ValueError as err:
        return None, str(err)
    if not np.isfinite(es.loc[es["event_time"] != REFERENCE, "coef"].to_numpy(dtype=float)).any():
        return None, "no event time has both treated and reference-period observations"
    return event_with_truth(es, true_path), ""


def event_plot_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Event times that have an estimate (or are the reference period), for the plot."""
    return table.loc[np.isfinite(table["coef"].to_numpy(dtype=float))].reset_index(drop=True)


def _row(kind: str, what_vi: str, what_en: str, area: str, period: str, low, high, ci_low=np.nan,
         ci_high=np.nan, source: str = "") -> dict:
    return {"kind": kind, "what_vi": what_vi, "what_en": what_en, "area": area, "period": period,
            "low_pct": low, "high_pct": high, "ci_low_pct": ci_low, "ci_high_pct": ci_high, "source": source}


def comparison(est: pd.DataFrame, band: pd.DataFrame, claims: pd.DataFrame, refs: pd.DataFrame, area: str,
               period: str, true_att: float | None = None) -> pd.DataFrame:
    """This analysis (headline ATT, TWFE, before/after median and share in the claimed band), the
    truth when SYNTHETIC, the published claims and the literature reference points; values in percent."""
    rows = []
    for r in est.itertuples():
        if np.isfinite(r.coef):
            rows.append(_row("estimate", i18n.t(f"pr_estimator_{r.estimator}", "vi"),
                             i18n.t(f"pr_estimator_{r.estimator}", "en"), area, period, 100 * r.pct, 100 * r.pct,
                             100 * r.pct_low, 100 * r.pct_high))
    if true_att is not None and np.isfinite(true_att):
        pct = 100 * models.log_to_pct(true_att)
        rows.append(_row("truth", i18n.t("pr_row_truth", "vi"), i18n.t("pr_row_truth", "en"), area, period, pct, pct,
                         source="SYNTHETIC_truth.json"))
    if not band.empty and band["n"].iat[0] > 0:
        median = 100 * float(band["median_gain"].iat[0])
        rows.append(_row("before_after", i18n.t("pr_row_before_after", "vi"), i18n.t("pr_row_before_after", "en"),
                         area, period, median, median))
    for r in claims.itertuples():
        rows.append(_row("claim", f"{r.indicator_vi} ({i18n.t('pr_published', 'vi')})",
                         f"{r.indicator_en} ({i18n.t('pr_published', 'en')})", r.area,
                         _period(r.period_start, r.period_end), r.low, r.high,
                         source=r.source))
    for r in refs.itertuples():
        rows.append(_row("literature", f"{r.population_vi} — {r.design_vi}", f"{r.population_en} — {r.design_en}",
                         "", "", r.low_pct, r.high_pct, source=r.citation + (f" doi:{r.doi}" if r.doi else "")))
        rows[-1].update(period_vi=r.horizon_vi, period_en=r.horizon_en)
    out = pd.DataFrame(rows)
    for lang in ("vi", "en"):
        col = f"period_{lang}"
        out[col] = out[col].fillna(out["period"]) if col in out else out["period"]
    return out.drop(columns="period")


def band_summary(gains: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """:func:`metrics.share_in_band` of the before/after gains plus their median."""
    out = metrics.share_in_band(gains, low, high)
    out["median_gain"] = float(gains["gain"].median()) if gains["gain"].notna().any() else np.nan
    out["low"], out["high"] = low, high
    return out


def _period(start, end) -> str:
    return str(start) if start == end else f"{start}–{end}"


# ---------------------------------------------------------------- display (numbers as text)

def _num(x, lang: str, decimals: int = 3) -> str:
    return "" if x is None or not np.isfinite(x) else i18n.fmt_number(round(float(x), decimals), lang, decimals)


def _pct(x, lang: str, decimals: int = 1) -> str:
    return "" if x is None or not np.isfinite(x) else i18n.fmt_pct(float(x), lang, decimals)


def _range(lo, hi, fmt) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return fmt(lo) if lo == hi else f"{fmt(lo)} – {fmt(hi)}"


def _note(note: str, lang: str) -> str:
    """Model warnings are English sentences; give a short translated flag plus the reason."""
    if not note:
        return ""
    if note.startswith("only ") and "clusters" in note:
        return i18n.t("pr_few_clusters", lang)
    if note.startswith("too few treated units"):
        return i18n.t("pr_group_too_few", lang, n=models.MIN_TREATED_UNITS)
    return i18n.t("pr_not_estimable", lang) + f" ({note})"


def _truth_columns(frame: pd.DataFrame, lang: str) -> dict:
    if frame["true_pct"].notna().any():
        return {i18n.t("pr_col_true", lang): [_pct(v, lang) for v in frame["true_pct"]]}
    return {}


def display_estimates(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """:func:`estimates_with_truth` for display."""
    return pd.DataFrame({
        i18n.t("pr_col_estimator", lang): [i18n.t(f"pr_estimator_{e}", lang) for e in table["estimator"]],
        i18n.t("pr_col_coef", lang): [_num(v, lang) for v in table["coef"]],
        i18n.t("pr_col_se", lang): [_num(v, lang) for v in table["se"]],
        i18n.t("pr_col_pct", lang): [_pct(v, lang) for v in table["pct"]],
        i18n.t("pr_col_pct_ci", lang): [_range(a, b, lambda v: _pct(v, lang)) for a, b in
                                        zip(table["pct_low"], table["pct_high"])],
        **_truth_columns(table, lang),
        i18n.t("pr_col_obs", lang): [i18n.fmt_number(int(v), lang) if np.isfinite(v) else "" for v in
                                     table["n_obs"].astype(float)],
        i18n.t("pr_col_clusters", lang): [i18n.fmt_number(int(v), lang) if np.isfinite(v) else "" for v in
                                          table["n_clusters"].astype(float)],
        i18n.t("pr_col_note", lang): [_note(n, lang) for n in table["note"]],
    })


def display_band(band: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """:func:`band_summary` for display."""
    r = band.iloc[0]
    return pd.DataFrame({
        i18n.t("pr_col_treated", lang): [i18n.fmt_number(int(r["n"]), lang)],
        i18n.t("median", lang): [_pct(r["median_gain"], lang)],
        i18n.t("pr_col_below", lang, low=_pct(r["low"], lang, 0)): [_pct(r["share_below"], lang)],
        i18n.t("pr_col_in_band", lang, low=_pct(r["low"], lang, 0), high=_pct(r["high"], lang, 0)):
            [_pct(r["share_in_band"], lang)],
        i18n.t("pr_col_above", lang, high=_pct(r["high"], lang, 0)): [_pct(r["share_above"], lang)],
    })


def display_event(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """:func:`event_with_truth` for display (log points)."""
    out = {
        i18n.t("event_time", lang): table["event_time"].astype(int).tolist(),
        i18n.t("pr_col_coef", lang): [_num(v, lang) for v in table["coef"]],
        i18n.t("ci_95", lang): [_range(a, b, lambda v: _num(v, lang)) for a, b in zip(table["ci_low"], table["ci_high"])],
        i18n.t("pr_col_treated_obs", lang): [i18n.fmt_number(int(v), lang) for v in table["n_treated_obs"]],
    }
    if table["true_effect"].notna().any():
        out[i18n.t("pr_col_true_log", lang)] = [_num(v, lang) for v in table["true_effect"]]
    return pd.DataFrame(out)


def display_categories(table: pd.DataFrame, lang: str = "vi", group: str = "support_category") -> pd.DataFrame:
    """:func:`categories_with_truth` for display."""
    return pd.DataFrame({
        i18n.t("category", lang): [i18n.t(f"category.{c}", lang) for c in table[group]],
        i18n.t("pr_col_treated", lang): [i18n.fmt_number(int(v), lang) for v in table["n_treated"]],
        i18n.t("pr_col_pct", lang): [_pct(v, lang) for v in table["pct"]],
        i18n.t("pr_col_pct_ci", lang): [_range(a, b, lambda v: _pct(v, lang)) for a, b in
                                        zip(table["pct_low"], table["pct_high"])],
        **_truth_columns(table, lang),
        i18n.t("pr_col_note", lang): [_note(n if isinstance(n, str) else "", lang) for n in table["note"]],
    })


def display_comparison(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """:func:`comparison` for display (percent)."""
    fmt = lambda v: _pct(v / 100, lang)  # noqa: E731
    return pd.DataFrame({
        i18n.t("pr_col_what", lang): table[f"what_{lang}"].tolist(),
        i18n.t("col.area", lang): table["area"].tolist(),
        i18n.t("col.period", lang): table[f"period_{lang}"].tolist(),
        i18n.t("pr_col_pct", lang): [_range(a, b, fmt) for a, b in zip(table["low_pct"], table["high_pct"])],
        i18n.t("ci_95", lang): [_range(a, b, fmt) for a, b in zip(table["ci_low_pct"], table["ci_high_pct"])],
        i18n.t("col.source", lang): table["source"].tolist(),
    })


def category_plot_frame(table: pd.DataFrame, lang: str = "vi", group: str = "support_category") -> pd.DataFrame:
    """Estimated categories only, labelled, effects in percent (``pct_100``…) for :func:`plots.ranked_intervals`."""
    data = table.loc[np.isfinite(table["pct"].to_numpy(dtype=float))].copy()
    data["label"] = [i18n.t(f"category.{c}", lang) for c in data[group]]
    for col in ("pct", "pct_low", "pct_high"):
        data[f"{col}_100"] = 100 * data[col]
    return data.reset_index(drop=True)


def sample_line(counts: dict, lang: str = "vi", dropped: int = 0) -> str:
    """One line describing the DiD sample."""
    text = i18n.t("pr_sample", lang, treated=i18n.fmt_number(counts["treated"], lang),
                  comparison=i18n.fmt_number(counts["comparison"], lang), obs=i18n.fmt_number(counts["obs"], lang))
    if dropped:
        text += " " + i18n.t("pr_dropped", lang, n=i18n.fmt_number(dropped, lang))
    return text


def did_problem(est: pd.DataFrame, counts: dict, lang: str = "vi") -> str:
    """'' when the headline estimate exists, else why not (too few units, or not estimable and why)."""
    if est.attrs.get("problem"):
        return too_few_message(counts, lang)
    head = est.iloc[0]
    if not np.isfinite(head["coef"]):
        return f"{i18n.t('pr_estimator_' + head['estimator'], lang)}: {i18n.t('pr_not_estimable', lang)} ({head['note']})"
    return ""


def too_few_message(counts: dict, lang: str = "vi") -> str:
    return i18n.t("pr_too_few", lang, treated=counts["treated"], comparison=counts["comparison"],
                  min_treated=models.MIN_TREATED_UNITS, min_comparison=models.MIN_COMPARISON_UNITS)


def data_source(survey: pd.DataFrame, lang: str = "vi") -> str:
    """Source note for figures: the survey and register files' folder."""
    files: Sequence[str] = sorted(set(survey["source_file"].astype(str)))
    folders = sorted({f.rsplit("/", 1)[0] for f in files if "/" in f})
    return i18n.t("pr_source", lang, files=", ".join(folders) or ", ".join(files))
